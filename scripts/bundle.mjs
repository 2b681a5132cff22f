#!/usr/bin/env node
// Bundles the compiled CLI (dist/main.js, what tsc made of src/cli.ts) and the packages it imports into one
// ES module, dist/bin/kafka-mtls.js, which dist/cli.js imports. Node then reads and links one file instead of
// about 300 modules: the first command starts about 0.13 s sooner (BENCHMARKS.md, "One file to load"). The
// bundle sits two levels down, as every module it came from did, so that their `new URL('../../templates/',
// import.meta.url)` still name the package's templates/ and java/. dist/'s other modules stay, for the
// scripts that import them and for build-bin.mjs, which bundles dist/main.js its own way.
import { build } from 'esbuild';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
if (!existsSync(`${dist}cli.js`)) throw new Error('bundle: dist/cli.js is missing: run tsc first');
renameSync(`${dist}cli.js`, `${dist}main.js`);

await build({
  entryPoints: [`${dist}main.js`],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: `${dist}bin/kafka-mtls.js`,
  // Packages written as CommonJS call require(), which an ES module lacks: give them one.
  banner: {
    js:
      "import { createRequire as __kafkaMtlsRequire } from 'node:module';\n" +
      'const require = __kafkaMtlsRequire(import.meta.url);',
  },
  legalComments: 'none',
  logLevel: 'warning',
});

// The same first line as the CLI's (its node options).
const shebang = readFileSync(`${dist}main.js`, 'utf8').split('\n', 1)[0];
if (!shebang.startsWith('#!')) throw new Error('bundle: dist/main.js does not start with #!');
writeFileSync(`${dist}cli.js`, `${shebang}\nimport './bin/kafka-mtls.js';\n`);
chmodSync(`${dist}cli.js`, 0o755);
