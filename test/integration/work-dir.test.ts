import { execa } from 'execa';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openStage } from '../../src/output/stage.js';
import { RUN_ID } from '../../src/runner/run-id.js';
import { ROOT, tempDir } from '../helpers/cli.js';

// The work directory a run builds in: beside its target, private, named so that the next run can tell whose
// it is (src/output/leftovers.ts), and never removed behind the run's back.
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

test.each([
  ['certs', 'tmp makes it'],
  ['certs..v2', 'a name tmp refuses'],
  ['XXXXXXcerts', 'a name with what tmp would fill in'],
])('the work directory of %s (%s) is beside it, 0700, named with the run id', async (name) => {
  const target = join(dir, name);
  const stage = await openStage(target);
  try {
    expect(stage.workDir.startsWith(`${dir}/`)).toBe(true);
    expect(RUN_ID).toMatch(/^[0-9a-f]{16}$/);
    expect(basename(stage.workDir)).toMatch(new RegExp(`^\\.${name}\\.kafka-mtls-work-${RUN_ID}-[A-Za-z0-9]{6}$`));
    expect(await mode(stage.workDir)).toBe('700');
  } finally {
    await stage.abandon(false);
  }
  await expect(stat(stage.workDir)).rejects.toThrow();
});

test('0700 whatever the umask', async () => {
  const old = process.umask(0o277);
  try {
    const stage = await openStage(join(dir, 'umask'));
    expect(await mode(stage.workDir)).toBe('700');
    await stage.abandon(false);
  } finally {
    process.umask(old);
  }
});

test("the path keeps the user's spelling of the parent, links and all", async () => {
  await mkdir(join(dir, 'real'));
  await execa('ln', ['-s', 'real', join(dir, 'link')]);
  const stage = await openStage(join(dir, 'link', 'certs'));
  expect(stage.workDir.startsWith(`${dir}/link/`)).toBe(true);
  await stage.abandon(false);
});

test("tmp's clean-up at exit leaves a work directory alone, whether the run ends or keeps it", async () => {
  // A process that asks tmp to clean up at exit, opens a stage, keeps one work directory and exits.
  const script = `
    const { setGracefulCleanup } = await import('tmp-promise');
    const { openStage } = await import(${JSON.stringify(join(ROOT, 'dist/output/stage.js'))});
    setGracefulCleanup();
    const open = await openStage(${JSON.stringify(join(dir, 'open'))});
    const kept = (await (await openStage(${JSON.stringify(join(dir, 'kept'))})).abandon(true)).keptWork;
    console.log(JSON.stringify([open.workDir, kept]));`;
  const r = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  const left = JSON.parse(r.stdout) as string[];
  expect(left).toHaveLength(2);
  expect(left[1]).toContain('.kafka-mtls-kept-');
  for (const d of left) expect((await stat(d)).isDirectory()).toBe(true);
});
