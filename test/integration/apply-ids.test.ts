import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { changedFiles, runCli, snapshot, tempDir } from '../helpers/cli.js';

/**
 * apply with a config naming other brokers than the directory holds, without --prune: the kept broker keeps its id,
 * the new one gets an id no identity of the directory has, and the state file is read by every later run. Before
 * the fix, kafka-1 (kept) and kafka-2 (now first in the config) were both broker-0, and every later run refused
 * the state file ("has the same alias or id").
 */
const PW = 'Apply-Ids-Pw-3';
const ENV = { PASSWORD: PW };

const config = (layout: string, brokers: Record<string, string[]>) =>
  `layout: ${layout}\nbrokers:\n${Object.entries(brokers)
    .map(([b, hosts]) => `  ${b}: [${hosts.join(', ')}]\n`)
    .join('')}clients: [app]\n`;

const ids = async (dir: string) =>
  (
    JSON.parse(await readFile(join(dir, 'kafka-mtls.json'), 'utf8')) as { identities: { id: string; alias: string }[] }
  ).identities
    .map((i) => `${i.alias} ${i.id}`)
    .sort();

describe.each(['confluent', 'dropin'])('apply on the %s layout with a config naming other brokers', (layout) => {
  test('kafka-1 kept and kafka-2 keep their ids, kafka-3 gets a free one; plan, apply and verify work after', async () => {
    const dir = await tempDir();
    const out = join(dir, 'certs');
    const cli = (args: string[]) => runCli([...args, '--out', 'certs'], { cwd: dir, env: ENV });
    await writeFile(join(dir, 'c.yaml'), config(layout, { 'kafka-1': ['kafka-1'], 'kafka-2': ['kafka-2'] }));
    expect((await cli(['generate', '--config', 'c.yaml'])).exitCode).toBe(0);
    expect(await ids(out)).toEqual(['app client', 'kafka-1 broker-0', 'kafka-2 broker-1']);
    const before = await snapshot(out);

    await writeFile(join(dir, 'c.yaml'), config(layout, { 'kafka-2': ['kafka-2'], 'kafka-3': ['kafka-3'] }));
    const r = await cli(['apply', '--config', 'c.yaml']);
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect(await ids(out)).toEqual(['app client', 'kafka-1 broker-0', 'kafka-2 broker-1', 'kafka-3 broker-2']);
    // Every identity's file that was there is kept byte for byte; the state file and the files of the whole cluster
    // (the confluent layout's default principals.txt and compose block) are written again.
    const after = await snapshot(out);
    const changed = changedFiles(before, after);
    const cluster = ['docker-compose.mtls.yml', 'kafka-mtls.json', 'principals.txt'];
    expect(changed.filter((f) => f in before && !cluster.includes(f))).toEqual([]);
    expect(changed).toContain('kafka-mtls.json');
    if (layout === 'dropin') expect(changed).toEqual(expect.arrayContaining(['ext2.cnf', 'kafka-3.keystore.jks']));

    // The state file is read again: nothing to do, then a reissue of kafka-3 only, then verify.
    const plan = await cli(['plan', '--config', 'c.yaml']);
    expect([plan.exitCode, plan.stderr]).toEqual([0, '']);
    await writeFile(
      join(dir, 'c.yaml'),
      config(layout, { 'kafka-2': ['kafka-2'], 'kafka-3': ['kafka-3', 'kafka-3-external'] }),
    );
    const plan2 = await cli(['plan', '--config', 'c.yaml']);
    expect([plan2.exitCode, plan2.stderr]).toEqual([10, '']);
    expect(plan2.stdout).toMatch(/~ reissue kafka-3 +SANs changed: \+DNS:kafka-3-external/);
    const reissued = await snapshot(out);
    const again = await cli(['apply', '--config', 'c.yaml']);
    expect([again.exitCode, again.stderr]).toEqual([0, '']);
    expect(await ids(out)).toEqual(['app client', 'kafka-1 broker-0', 'kafka-2 broker-1', 'kafka-3 broker-2']);
    const touched = changedFiles(reissued, await snapshot(out));
    expect(touched.filter((f) => /kafka-[12]/.test(f))).toEqual([]);
    const verify = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect([verify.exitCode, verify.stderr]).toEqual([0, '']);
    await rm(dir, { recursive: true, force: true });
  }, 180_000);
});
