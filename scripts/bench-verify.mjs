#!/usr/bin/env node
// `kafka-mtls verify` timed side by side: this build against another one (an
// older commit's dist/cli.js), on the same directories, alternating A B A B
// after a warm-up of each. Wall time, CPU time (user + sys, of every process:
// /usr/bin/time counts waited-for children) and peak memory (the largest
// single process's resident set) per run; medians and the ratio.
//
//   npm run build && node scripts/bench-verify.mjs --before ../old/dist/cli.js [--runs 5] [--brokers 3,24]
//
// An older build for --before: git worktree add ../old <commit> && (cd ../old && npm ci && npm run build).
import { $, argv, fs, os, path } from 'zx';

$.verbose = false;
$.quiet = true;

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist/cli.js');
const BEFORE = argv.before ? path.resolve(String(argv.before)) : undefined;
const runs = Number(argv.runs ?? 5);
const brokerCounts = String(argv.brokers ?? '3,24')
  .split(',')
  .map(Number);
const PASSWORD = 'Bench-Pa55word-verify';

if (!BEFORE || !(await fs.pathExists(BEFORE))) throw new Error('--before must name another build of dist/cli.js');
if (!(await fs.pathExists(CLI))) throw new Error('dist/cli.js is missing: run npm run build first');

const env = { ...process.env, PASSWORD, NO_COLOR: '1' };

async function measure(cli, dir) {
  const timing = path.join(os.tmpdir(), `kmtls-bench-verify-${process.pid}.txt`);
  const r = await $({ env, nothrow: true })`/usr/bin/time -v -o ${timing} node ${cli} verify ${dir}`;
  if (r.exitCode !== 0) throw new Error(`verify failed with exit ${r.exitCode}:\n${r.stdout}${r.stderr}`);
  const t = await fs.readFile(timing, 'utf8');
  const field = (label) => new RegExp(`${label}: (.*)`).exec(t)[1].trim();
  const [m, s] = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number);
  const cpu = Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'));
  const checks = /(\d+) passed/.exec(r.stdout)?.[1];
  return { wall: m * 60 + s, cpu, rss: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024, checks };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const brokers of brokerCounts) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `kmtls-bench-verify-${brokers}-`));
  await $({ cwd: dir, env })`node ${CLI} generate --out certs --brokers ${brokers}`;
  const certs = path.join(dir, 'certs');
  await measure(BEFORE, certs);
  await measure(CLI, certs);
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    a.push(await measure(BEFORE, certs));
    b.push(await measure(CLI, certs));
  }
  for (const [name, xs] of [
    ['before', a],
    ['this build', b],
  ])
    rows.push(
      `| ${brokers} | ${name} | ${median(xs.map((x) => x.wall)).toFixed(2)} | ` +
        `${median(xs.map((x) => x.cpu)).toFixed(2)} | ${median(xs.map((x) => x.rss)).toFixed(1)} | ${xs[0].checks} |`,
    );
  await fs.remove(dir);
}
console.log(`verify, ${runs} runs each, alternating; ${os.cpus().length} cores; ${new Date().toISOString()}\n`);
console.log('| brokers | build | median wall (s) | median CPU (s) | median peak RSS (MiB) | checks passed |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
