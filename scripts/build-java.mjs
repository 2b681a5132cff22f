#!/usr/bin/env node
// Compiles java/*.java: KeytoolHost, the JVM that runs keytool steps one after
// another (src/runner/keytool-host.ts), and what it runs besides keytool: the
// TLS judge and Kafka's principal rules. --release 8: one class file for every
// JDK from 8 on. Without javac (a JRE only) the build goes on: kafka-mtls then
// runs each keytool step as a process of its own, as with --keytool-jvm per-step.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../java/', import.meta.url));
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.java'))
  .map((f) => `${dir}${f}`);
const r = spawnSync('javac', ['--release', '8', '-Xlint:-options', '-d', dir, ...sources], {
  stdio: 'inherit',
});
if (r.error) {
  console.warn(`build-java: javac not found (${r.error.message}); keytool steps will run one JVM each`);
} else if (r.status !== 0) {
  process.exit(r.status ?? 1);
}
