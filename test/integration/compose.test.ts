import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * --emit compose works wherever the compose file lives: host paths are absolute, or relative to --compose-dir
 * (the base compose file's folder, which compose resolves every -f file's relative paths against), with $
 * escaped from compose's interpolation; and cp-kafka's appuser can read what is mounted by one of the two ways
 * the block's comment gives, tried here as Docker mounts it (a bind mount) under uid 1000.
 */
const PW = 'compose-Pw-1234';

interface Volume {
  type: string;
  source: string;
  target: string;
  read_only: boolean;
}
type Compose = { services: Record<string, { environment: Record<string, string>; volumes: Volume[] }> };

const readCompose = async (file: string) => {
  const text = await readFile(file, 'utf8');
  return { text, doc: parseYaml(text) as Compose };
};

/** Compose's interpolation of a value that holds no variable: $$ is a literal $. */
const interpolated = (v: string) => v.replace(/\$\$/g, '$');

describe('--compose-dir: host paths relative to the base compose file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await realpath(await tempDir());
    await mkdir(join(dir, 'deploy'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('relative to the folder named, each resolves there to a file of the output; apply keeps them so', async () => {
    const r = await runCli(
      ['generate', '--brokers', '1', '--emit', 'compose', '--layout', 'confluent', '--compose-dir', 'deploy'],
      { cwd: dir, env: { PASSWORD: PW } },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const { text, doc } = await readCompose(join(dir, 'certs/docker-compose.mtls.yml'));
    expect(doc.services['mtls-kafka-0']!.volumes).toEqual([
      { type: 'bind', source: '../certs/mtls-kafka-0-creds', target: '/etc/kafka/secrets', read_only: true },
    ]);
    expect(existsSync(resolve(join(dir, 'deploy'), '../certs/mtls-kafka-0-creds/mtls-kafka-0_sslkey_creds'))).toBe(
      true,
    );
    expect(text).toContain(`# Host paths are relative to ${join(dir, 'deploy')} (--compose-dir)`);

    const a = await runCli(['apply', '--brokers', '2'], { cwd: dir, env: { PASSWORD: PW } });
    expect(a.exitCode).toBe(0);
    const after = (await readCompose(join(dir, 'certs/docker-compose.mtls.yml'))).doc;
    expect(after.services['mtls-kafka-1']!.volumes[0]!.source).toBe('../certs/mtls-kafka-1-creds');
  }, 120_000);

  test('a --compose-dir that is a file: exit 2, one line, nothing made', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const r = await runCli(['generate', '--out', 'never', '--emit', 'compose', '--compose-dir', 'a-file'], {
      cwd: dir,
      env: { PASSWORD: PW },
    });
    expect(r.stderr).toBe(
      `error: --compose-dir: must be a directory (the compose file's folder); ${join(dir, 'a-file')} is a file`,
    );
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('an output directory whose path holds a $', () => {
  test('is written $$, which compose reads back as the path', async () => {
    const dir = await realpath(await tempDir());
    const r = await runCli(['generate', '--brokers', '1', '--emit', 'compose', '--out', 'c$HOME'], {
      cwd: dir,
      env: { PASSWORD: PW },
    });
    expect(r.exitCode).toBe(0);
    const { doc } = await readCompose(join(dir, 'c$HOME/docker-compose.mtls.yml'));
    const sources = doc.services['mtls-kafka-0']!.volumes.map((v) => v.source);
    expect(sources[0]).toBe(join(dir, 'c$$HOME/mtls-kafka-0.keystore.jks'));
    for (const s of sources) expect(existsSync(interpolated(s))).toBe(true);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});

const ROOT = process.getuid?.() === 0;
const NOT_ROOT = 'not root: the bind mount and the switch to uid 1000 need it';

describe("cp-kafka's appuser (uid 1000) and the private files it mounts", () => {
  let dir: string;
  let volumes: Volume[];
  beforeAll(async () => {
    dir = await realpath(await tempDir());
    const r = await runCli(['generate', '--brokers', '1', '--emit', 'compose'], { cwd: dir, env: { PASSWORD: PW } });
    expect(r.exitCode).toBe(0);
    volumes = (await readCompose(join(dir, 'certs/docker-compose.mtls.yml'))).doc.services['mtls-kafka-0']!.volumes;
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}-container`, { recursive: true, force: true });
  });

  /** As the container sees it: each source bind-mounted at its target, read there as uid:gid. */
  async function readAs(uid: number, gid: number): Promise<{ exitCode: number; out: string }> {
    // The container's own tree, which any user may walk, as an image's /etc/kafka is.
    const root = `${dir}-container`;
    await mkdir(root, { recursive: true, mode: 0o755 });
    await chmod(root, 0o755);
    const script = volumes
      .map((v, i) => `touch ${root}/${i} && mount --bind -o ro "${interpolated(v.source)}" ${root}/${i}`)
      .concat(
        volumes.map((_v, i) => `setpriv --reuid ${uid} --regid ${gid} --clear-groups cat ${root}/${i} >/dev/null`),
      )
      .join(' && ');
    const r = await execa('unshare', ['-m', 'sh', '-c', script], { reject: false, all: true });
    return { exitCode: r.exitCode ?? -1, out: String(r.all) };
  }

  (ROOT ? test : test.skip)(
    'uid 1000 cannot read them as they are (0600, owned by whoever ran kafka-mtls): the comment says so',
    async () => {
      const text = await readFile(join(dir, 'certs/docker-compose.mtls.yml'), 'utf8');
      expect(text).toContain('# cp-kafka runs as appuser (uid 1000).');
      // Owned by a user who is not 1000, as on most machines.
      await execa('chown', ['-R', '4242', join(dir, 'certs')]);
      const r = await readAs(1000, 1000);
      expect(r.exitCode).not.toBe(0);
      expect(r.out).toMatch(/Permission denied/);
    },
  );

  (ROOT ? test : test.skip)('the first way: user: "<owner uid>:0" reads them', async () => {
    expect((await readFile(join(dir, 'certs/docker-compose.mtls.yml'), 'utf8')).match(/user: "<uid>:0"/)).toBeTruthy();
    expect(await readAs(4242, 0)).toMatchObject({ exitCode: 0 });
  });

  (ROOT ? test : test.skip)('the second way: chown -R 1000 of each mounted path lets appuser read them', async () => {
    await execa('chown', ['-R', '1000', ...volumes.map((v) => interpolated(v.source))]);
    expect(await readAs(1000, 1000)).toMatchObject({ exitCode: 0 });
  });

  if (!ROOT) console.log(`skipped: ${NOT_ROOT}`);
});
