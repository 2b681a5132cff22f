/** Colour (the one place that decides it; chalk is imported only under report/) and the units reports share. */
import { Chalk, type ChalkInstance } from 'chalk';

/** The only chalk import: every colour decision is made here. NO_COLOR (https://no-color.org) turns colour off. */
export function makeChalk(env: NodeJS.ProcessEnv, isTTY: boolean): ChalkInstance {
  const off =
    (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb' || (!isTTY && !env.FORCE_COLOR);
  return new Chalk({ level: off ? 0 : 1 });
}

/** A duration as people read it: milliseconds under a second, else seconds. */
export function ms(n: number | undefined): string {
  if (n === undefined) return '';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}
