#!/usr/bin/env node
// Side-by-side benchmark: the original mtls-kafka.sh against `kafka-mtls generate`,
// same parameters, alternating A B A B after a warm-up of each, on this machine.
// Wall time, CPU time (user + sys) and peak memory (largest single process's
// resident set, from /usr/bin/time -v) for each run; medians and the
// script/port ratio, pair by pair. From each port run's journal, the CA key
// (ca.create: the RSA-4096 key, whose random prime search the port cannot
// shorten) and the part after it, from its end to the journal's end. The load average
// (1 minute) before each run, as other work on the machine skews every figure.
// With --before, another build of the port (an older commit's dist/cli.js) runs
// in the same session, after the port in each round (A B C A B C).
//
//   npm run build && node scripts/bench.mjs [--runs 5] [--brokers 3,24] [--before ../old/dist/cli.js]
//     [--write BENCHMARKS.md] [--key-type ec-p256] [--ca-key-type ec-p256]
// --key-type and --ca-key-type are handed to the port's generate (the script makes RSA keys whatever they say).
import { $, argv, fs, os, path } from 'zx';

$.verbose = false;
$.quiet = true;

const ROOT = path.resolve(import.meta.dirname, '..');
const SCRIPT = path.resolve(ROOT, '../shared/reference/mtls-kafka.sh');
const CLI = path.join(ROOT, 'dist/cli.js');
const BEFORE = argv.before ? path.resolve(String(argv.before)) : undefined;
const runs = Number(argv.runs ?? 5);
/** The port's own options beyond the script's parameters: its key types. */
const PORT_ARGS = ['key-type', 'ca-key-type'].flatMap((o) => (argv[o] ? [`--${o}`, String(argv[o])] : []));
const brokerCounts = String(argv.brokers ?? '3,24')
  .split(',')
  .map(Number);
const PASSWORD = 'password';
const VALIDITY = 730;

if (!(await fs.pathExists(SCRIPT))) throw new Error(`the original script is not at ${SCRIPT}`);
if (!(await fs.pathExists(CLI))) throw new Error('dist/cli.js is missing: run npm run build first');
if (BEFORE && !(await fs.pathExists(BEFORE))) throw new Error(`--before ${BEFORE} does not exist`);
// --write rewrites the default run's table: a run with other keys is written up by hand beside it.
if (PORT_ARGS.length > 0 && argv.write) throw new Error('--write is for the default keys: leave out --key-type');

/** Runs one command under /usr/bin/time in a fresh directory; returns its measures, in seconds and MiB. */
async function measure(kind, brokers) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `kmtls-bench-${kind}-`));
  const timing = path.join(dir, 'time.txt');
  let cmd;
  if (kind === 'script') {
    // The script hard-codes its parameters: run a copy with the broker count set, as a user would edit it.
    const text = (await fs.readFile(SCRIPT, 'utf8'))
      .replace(/^PASSWORD=.*$/m, `PASSWORD='${PASSWORD}'`)
      .replace(/^VALIDITY=.*$/m, `VALIDITY=${VALIDITY}`)
      .replace(/^KAFKA_BROKER_COUNT=.*$/m, `KAFKA_BROKER_COUNT=${brokers}`);
    await fs.writeFile(path.join(dir, 'mtls-kafka.sh'), text);
    cmd = ['bash', 'mtls-kafka.sh'];
  } else {
    // As a user runs it: the bin, whose #! line gives node its flags.
    cmd = [kind === 'before' ? BEFORE : CLI, 'generate', ...PORT_ARGS];
  }
  const env = {
    ...process.env,
    PASSWORD,
    VALIDITY: String(VALIDITY),
    KAFKA_BROKER_COUNT: String(brokers),
    NO_COLOR: '1',
  };
  const load = os.loadavg()[0];
  const r = await $({ cwd: dir, env, nothrow: true })`/usr/bin/time -v -o ${timing} ${cmd}`;
  if (r.exitCode !== 0) throw new Error(`${kind} failed with exit ${r.exitCode}:\n${r.stdout}${r.stderr}`);
  const files = await fs.readdir(path.join(dir, 'certs'));
  const t = await fs.readFile(timing, 'utf8');
  const field = (label) => {
    const m = new RegExp(`${label}: (.*)`).exec(t);
    if (!m) throw new Error(`no "${label}" in /usr/bin/time output`);
    return m[1].trim();
  };
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')
    .split(':')
    .reduce((acc, part) => acc * 60 + Number(part), 0);
  const cpu = Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'));
  const rssMiB = Number(field('Maximum resident set size \\(kbytes\\)')) / 1024;
  const { caKey, afterCa } = kind === 'script' ? {} : await caKeyParts(path.join(dir, 'certs'));
  await fs.remove(dir);
  return { wall, cpu, rssMiB, files, caKey, afterCa, load };
}

/** From the journal, in seconds: the CA key (ca.create), and from its end to the run's end. */
async function caKeyParts(out) {
  const jdir = path.join(out, '.kafka-mtls');
  const [name] = (await fs.readdir(jdir)).filter((f) => /^run-.*\.json$/.test(f));
  const journal = JSON.parse(await fs.readFile(path.join(jdir, name), 'utf8'));
  const ca = journal.steps.find((s) => s.id === 'ca.create');
  const afterCa = (Date.parse(journal.finishedAt) - Date.parse(ca.startedAt) - ca.durationMs) / 1000;
  return { caKey: ca.durationMs / 1000, afterCa };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);

async function machine() {
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  const java = (await $`java -version`.nothrow()).stderr.split('\n')[0];
  const openssl = (await $`openssl version`).stdout.trim();
  return {
    cores: os.availableParallelism(),
    cpuModel,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    java,
    openssl,
    node: process.version,
  };
}

const m = await machine();
console.log(`machine: ${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB; ${m.java}; ${m.openssl}; node ${m.node}`);
const results = [];
for (const brokers of brokerCounts) {
  console.log(`\nKAFKA_BROKER_COUNT=${brokers}: warm-up`);
  await measure('script', brokers);
  await measure('port', brokers);
  if (BEFORE) await measure('before', brokers);
  const pairs = [];
  const show = (name, x) =>
    `${name} ${f2(x.wall)} s wall, ${f2(x.cpu)} s CPU, ${f1(x.rssMiB)} MiB (load ${f1(x.load)})` +
    (x.afterCa === undefined ? '' : `, CA key ${f2(x.caKey)} s, ${f2(x.afterCa)} s after it`);
  for (let i = 1; i <= runs; i++) {
    const a = await measure('script', brokers);
    const b = await measure('port', brokers);
    const c = BEFORE ? await measure('before', brokers) : undefined;
    pairs.push({ a, b, c });
    console.log(
      `  run ${i}: ${show('script', a)} | ${show('port', b)} | ratio ${f1(a.wall / b.wall)}x` +
        (c ? ` | ${show('before', c)} | ratio ${f1(a.wall / c.wall)}x` : ''),
    );
    // Expected: the script's ca.srl (the port gives random serials), the port's state file and journal directory.
    const only = (x, y) => x.files.filter((f) => !y.files.includes(f)).sort();
    const differ = [...only(a, b).map((f) => `-${f}`), ...only(b, a).map((f) => `+${f}`)].join(' ');
    if (differ !== '-ca.srl +.kafka-mtls +kafka-mtls.json')
      console.log(`  note: the port's files differ from the script's: ${differ}`);
  }
  const summary = (xs) => ({
    wall: median(xs.map((x) => x.wall)),
    cpu: median(xs.map((x) => x.cpu)),
    rss: median(xs.map((x) => x.rssMiB)),
    peak: Math.max(...xs.map((x) => x.rssMiB)),
    caKey: xs[0].caKey === undefined ? undefined : median(xs.map((x) => x.caKey)),
    afterCa: xs[0].afterCa === undefined ? undefined : median(xs.map((x) => x.afterCa)),
    load: [Math.min(...xs.map((x) => x.load)), Math.max(...xs.map((x) => x.load))],
  });
  results.push({
    brokers,
    script: summary(pairs.map((p) => p.a)),
    port: summary(pairs.map((p) => p.b)),
    ratios: pairs.map((p) => p.a.wall / p.b.wall),
    ...(BEFORE ? { before: summary(pairs.map((p) => p.c)), beforeRatios: pairs.map((p) => p.a.wall / p.c.wall) } : {}),
  });
}

const row = (brokers, name, x) =>
  `| ${brokers} | ${name} | ${f2(x.wall)} | ${f2(x.cpu)} | ${f1(x.rss)} | ${f1(x.peak)} | ` +
  `${x.caKey === undefined ? '' : f2(x.caKey)} | ${x.afterCa === undefined ? '' : f2(x.afterCa)} | ` +
  `${f1(x.load[0])} to ${f1(x.load[1])} |`;
const ratio = (brokers, name, script, x, ratios) =>
  `| ${brokers} | **${name}** | **${f1(script.wall / x.wall)}x** (pairs: ${ratios.map(f1).join(', ')}; ` +
  `median ${f1(median(ratios))}x) | ${f1(script.cpu / x.cpu)}x | | | | | |`;
const table = [
  '| brokers | | median wall (s) | median CPU (s) | median peak RSS (MiB) | max peak RSS (MiB) | median CA key (s) ' +
    '| median after the CA key (s) | load |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.flatMap((r) => [
    row(r.brokers, 'mtls-kafka.sh', r.script),
    row(r.brokers, 'kafka-mtls', r.port),
    ratio(r.brokers, 'ratio', r.script, r.port, r.ratios),
    ...(r.before
      ? [
          row(r.brokers, 'kafka-mtls before', r.before),
          ratio(r.brokers, 'ratio before', r.script, r.before, r.beforeRatios),
        ]
      : []),
  ]),
].join('\n');
console.log(`\n${table}`);

if (argv.write) {
  const doc = `# Benchmarks

\`kafka-mtls generate\` against the original \`mtls-kafka.sh\`, same parameters
(PASSWORD=${PASSWORD}, VALIDITY=${VALIDITY}), each run in a fresh directory,
alternating script and port (A B A B${BEFORE ? ', and the build before after each port run' : ''}) after one
warm-up run of each, ${runs} runs per broker count. Wall and CPU time (user + sys) and peak memory (the
largest single process's resident set: \`/usr/bin/time -v\`, "Maximum resident set size")
per run; the table gives medians, and the ratio script/port of the medians and
of each pair; from each port run's journal, the CA key (\`ca.create\`) and the time from its end to the
run's end; the load average (1 minute) before the runs.

Re-run: \`npm run build && node scripts/bench.mjs --write BENCHMARKS.md\`
(\`--runs N\`, \`--brokers 3,24\`).

Machine: ${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB; ${m.java}; ${m.openssl}; Node.js ${m.node}.
Measured ${new Date().toISOString().slice(0, 10)}.

${table}
`;
  // Earlier tables and the analysis below them are kept as they are (move the old table there by hand).
  const old = await fs.readFile(path.resolve(argv.write), 'utf8').catch(() => '');
  const kept =
    ['## `verify`', '## Earlier runs', '## What bounds the port']
      .map((h) => old.indexOf(h))
      .filter((i) => i >= 0)
      .sort((a, b) => a - b)[0] ?? -1;
  await fs.writeFile(path.resolve(argv.write), kept >= 0 ? `${doc}\n${old.slice(kept)}` : doc);
  console.log(`\nwrote ${argv.write}`);
}
