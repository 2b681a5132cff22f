import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';

/**
 * An openssl kafka-mtls cannot drive is named before any step runs: exit 1, what was found, what is
 * needed, nothing written. The fake openssl answers `version` as the real ones do and fails loudly on
 * anything else, so a test that got past the preflight would show it.
 */
const PASSWORD = 'Version-Secret-7';

const FAKES: Array<[string, string]> = [
  ['LibreSSL 3.3.6', 'LibreSSL 3.3.6'],
  ['OpenSSL 1.1.0l  10 Sep 2019', 'OpenSSL 1.1.0l'],
  ['OpenSSL 1.0.2k-fips  26 Jan 2017', 'OpenSSL 1.0.2k'],
];
const COMMANDS: Array<[string, string[]]> = [
  ['generate', ['generate']],
  ['verify', ['verify', 'certs']],
  ['inspect', ['inspect', 'certs/ca.crt']],
];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('kmtls-sslver-');
  await mkdir(join(dir, 'certs'));
  await writeFile(join(dir, 'certs/ca.crt'), 'not a certificate\n');
  for (const [version] of FAKES) {
    const fake = join(dir, `${version.split(' ')[1]}`);
    await writeFile(
      fake,
      `#!/bin/sh\n[ "$1" = version ] && { echo '${version}'; exit 0; }\necho "fake openssl ran: $*" >&2; exit 99\n`,
    );
    await chmod(fake, 0o755);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(COMMANDS)('%s with an openssl it cannot drive', (_name, args) => {
  test.each(FAKES)('%s: exit 1, named, nothing run or written', async (version, found) => {
    const before = await snapshot(dir);
    const r = await runCli([...args, '--openssl', join(dir, version.split(' ')[1]!)], { cwd: dir, env: { PASSWORD } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`openssl is ${found}, which kafka-mtls does not support`);
    expect(r.stderr).toMatch(/hint: kafka-mtls needs OpenSSL 1\.1\.1 or 3\.x: install OpenSSL/);
    expect(r.stderr).not.toContain('fake openssl ran');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(await snapshot(dir)).toEqual(before);
  });
});
