#!/usr/bin/env node
// Compiles java/KeytoolHost.java, the JVM that runs keytool steps one after
// another (src/runner/keytool-host.ts). --release 8: one class file for every
// JDK from 8 on. Without javac (a JRE only) the build goes on: kafka-mtls then
// runs each keytool step as a process of its own, as with --keytool-jvm per-step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../java/', import.meta.url));
const r = spawnSync('javac', ['--release', '8', '-Xlint:-options', '-d', dir, `${dir}KeytoolHost.java`], {
  stdio: 'inherit',
});
if (r.error) {
  console.warn(`build-java: javac not found (${r.error.message}); keytool steps will run one JVM each`);
} else if (r.status !== 0) {
  process.exit(r.status ?? 1);
}
