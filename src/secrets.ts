import { inspect } from 'node:util';

/**
 * A password or other secret. It prints as its label everywhere (String(),
 * JSON, util.inspect, template literals) so that it cannot leak into a
 * report or a log by accident; only `reveal()` gives the value, and only the
 * runner calls it, to put the value in a child's environment.
 */
export class Secret {
  readonly #value: string;
  constructor(
    readonly label: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return `<${this.label}>`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Secrets by the environment variable that carries them to a child process. */
export type SecretEnv = Readonly<Record<string, Secret>>;

export const REDACTED = '***';

/** Replaces every occurrence of every secret's value in `text` with ***. */
export function redact(text: string, secrets: SecretEnv): string {
  let out = text;
  // Longest first, so that a secret containing another is replaced whole.
  const values = Object.values(secrets)
    .map((s) => s.reveal())
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const v of values) out = out.split(v).join(REDACTED);
  return out;
}
