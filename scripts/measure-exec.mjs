#!/usr/bin/env node
// What starting processes through execa costs the parent, against Node's own child_process: the CPU
// (user + sys) the parent spends per process started, and the time and CPU to import each module. Each
// measurement runs in a fresh Node process, the kinds alternating, and the medians are printed.
// The processes are `true`: what is measured is the parent's side, not the child's work.
//   npm run build && node scripts/measure-exec.mjs [--rounds 7] [--count 200]
// Kinds: spawn (node:child_process, as src/runner/exec.ts did before issue 15), execa (execa 9 with the
// options exec.ts gives it), exec.ts (the runner's execProcess itself: execa, its process group, its env).
// The measuring processes import nothing but what they measure (zx would load node:child_process first).
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const ROOT = path.resolve(import.meta.dirname, '..');
const argv = options(process.argv.slice(2));
const IMPORTS = { 'node:child_process': 'node:child_process', execa: 'execa', 'tmp-promise': 'tmp-promise' };
const KINDS = ['spawn', 'execa', 'exec.ts'];
const TRUE = 'true';

async function parent() {
  const { $, os } = await import('zx');
  const rounds = Number(argv.rounds ?? 7);
  const count = Number(argv.count ?? 200);
  $.verbose = false;
  const self = path.join(ROOT, 'scripts/measure-exec.mjs');
  const run = async (args) => JSON.parse((await $({ cwd: ROOT })`node ${self} ${args}`).stdout);
  const imports = Object.fromEntries(Object.keys(IMPORTS).map((k) => [k, []]));
  const spawns = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(IMPORTS)) imports[name].push(await run(['--child', 'import', '--module', name]));
    for (const kind of KINDS) spawns[kind].push(await run(['--child', 'spawn', '--kind', kind, '--count', count]));
  }
  const node = (await $`node --version`).stdout.trim();
  console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node.js ${node}; ${rounds} rounds, medians`);
  console.log('\n| import | wall (ms) | CPU (ms) |\n|---|---|---|');
  for (const [name, xs] of Object.entries(imports))
    console.log(`| ${name} | ${fmt(median(xs.map((x) => x.wallMs)))} | ${fmt(median(xs.map((x) => x.cpuMs)))} |`);
  console.log(`\n| ${count} processes by | parent CPU per process (ms) | wall per process (ms) |\n|---|---|---|`);
  for (const [kind, xs] of Object.entries(spawns))
    console.log(`| ${kind} | ${fmt(median(xs.map((x) => x.cpuMs)))} | ${fmt(median(xs.map((x) => x.wallMs)))} |`);
}

/** One measurement, in this fresh process: printed as JSON for the parent. */
async function child(what) {
  if (what === 'import') {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    await import(IMPORTS[argv.module]);
    console.log(JSON.stringify(elapsed(t, c, 1)));
    return;
  }
  const start = await starter(argv.kind);
  for (let i = 0; i < 10; i++) await start();
  const count = Number(argv.count);
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  for (let i = 0; i < count; i++) await start();
  console.log(JSON.stringify(elapsed(t, c, count)));
}

/** A function that starts `true` once and resolves with its output when it has ended. */
async function starter(kind) {
  const env = { ...process.env, LC_ALL: 'C' };
  if (kind === 'spawn') {
    const { spawn } = await import('node:child_process');
    return () =>
      new Promise((resolve, reject) => {
        const c = spawn(TRUE, [], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        c.stdout.on('data', (b) => out.push(b));
        c.stderr.on('data', (b) => out.push(b));
        const timer = setTimeout(() => c.kill(), 60_000);
        c.on('error', reject);
        c.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, out: Buffer.concat(out).toString() });
        });
      });
  }
  if (kind === 'execa') {
    const { execa } = await import('execa');
    const stop = new globalThis.AbortController();
    const options = {
      cwd: ROOT,
      env,
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      stripFinalNewline: false,
      timeout: 60_000,
      forceKillAfterDelay: 2000,
      cancelSignal: stop.signal,
      reject: false,
    };
    return () => execa(TRUE, [], options);
  }
  const { execProcess } = await import(path.join(ROOT, 'dist/runner/exec.js'));
  const stop = new globalThis.AbortController();
  return () =>
    execProcess({ file: TRUE, args: [], cwd: ROOT, env: { LC_ALL: 'C' }, timeoutMs: 60_000, signal: stop.signal });
}

function elapsed(t, c, n) {
  const cpu = process.cpuUsage(c);
  return { wallMs: Number(process.hrtime.bigint() - t) / 1e6 / n, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

/** `--name value` pairs. */
function options(args) {
  const o = {};
  for (let i = 0; i < args.length; i += 2) o[args[i].replace(/^--/, '')] = args[i + 1];
  return o;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function fmt(x) {
  return x < 10 ? x.toFixed(2) : x.toFixed(0);
}

if (argv.child) await child(argv.child);
else await parent();
