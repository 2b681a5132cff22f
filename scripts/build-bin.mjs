#!/usr/bin/env node
// npm run build:bin: bin/kafka-mtls, one executable file that needs no Node.js, no node_modules and no
// checkout, only openssl and a JDK or JRE (keytool), as the original script. It is a Node.js single
// executable application (SEA): dist/cli.js and its dependencies bundled by esbuild into one CommonJS
// file (Node 20's SEA runs CommonJS only), templates/ and java/*.class as SEA assets
// (src/runner/assets.ts reads them), injected with postject into a copy of this node binary.
// Run `npm run build` first (build:bin does). Linux x86-64 here: the file runs where this node runs.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const work = `${root}bin/.build/`;
const out = `${root}bin/kafka-mtls`;

if (!existsSync(`${root}dist/main.js`)) fail('dist/main.js is missing: run npm run build first');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// The CLI ends with `process.exitCode = await main(process.argv)`: top-level await, which CommonJS
// lacks. The bundle gets the same call without it; any other top-level await fails the bundle loudly.
const TLA = /^process\.exitCode = await main\(process\.argv\);$/m;
const withoutTopLevelAwait = {
  name: 'cli-without-top-level-await',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]main\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!TLA.test(text)) return { errors: [{ text: `${args.path} no longer ends with the expected main() call` }] };
      return {
        contents: text
          .replace(/^#!.*\n/, '')
          .replace(TLA, 'main(process.argv).then((code) => { process.exitCode = code; });'),
      };
    });
  },
};

await build({
  entryPoints: [`${root}dist/main.js`],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: `${work}kafka-mtls.cjs`,
  plugins: [withoutTopLevelAwait],
  // import.meta.url names the executable itself; files are read from SEA assets, never beside it.
  define: { 'import.meta.url': '__kafkaMtlsUrl' },
  banner: { js: "const __kafkaMtlsUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
});

const assets = Object.fromEntries(
  readdirSync(`${root}templates`).map((f) => [`templates/${f}`, `${root}templates/${f}`]),
);
// Every class the host is made of, and their list (java/classes.txt), from which src/runner/keytool-host.ts
// writes them back: the executable cannot list its own assets on Node 20.
if (existsSync(`${root}java/KeytoolHost.class`)) {
  const classes = readdirSync(`${root}java`).filter((f) => f.endsWith('.class'));
  for (const f of classes) assets[`java/${f}`] = `${root}java/${f}`;
  writeFileSync(`${work}classes.txt`, classes.join('\n') + '\n');
  assets['java/classes.txt'] = `${work}classes.txt`;
} else console.warn('build-bin: java/KeytoolHost.class is missing (no javac); keytool steps will run one JVM each');

writeFileSync(
  `${work}sea-config.json`,
  JSON.stringify({
    main: `${work}kafka-mtls.cjs`,
    output: `${work}sea-prep.blob`,
    disableExperimentalSEAWarning: true,
    // V8's compiled code travels in the file: start-up skips parsing the bundle.
    useCodeCache: true,
    assets,
  }),
);
run(process.execPath, ['--experimental-sea-config', `${work}sea-config.json`]);
rmSync(out, { force: true });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
run(process.execPath, [
  `${root}node_modules/postject/dist/cli.js`,
  out,
  'NODE_SEA_BLOB',
  `${work}sea-prep.blob`,
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
]);
rmSync(work, { recursive: true, force: true });
console.log(`build-bin: ${out.slice(root.length)} (${(readFileSync(out).length / 2 ** 20).toFixed(1)} MiB)`);

function run(file, args) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail(`${file} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

function fail(message) {
  console.error(`build-bin: ${message}`);
  process.exit(1);
}
