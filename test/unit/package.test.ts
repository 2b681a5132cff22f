import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';

/**
 * What `npm pack` ships (and so `npm install -g`, `npx`): the built CLI, the openssl templates, the
 * keytool host class, the licence; no source maps, whose sources (../src) are not shipped; nothing of
 * the tests or the single executable. --ignore-scripts: the suite's own build is what is packed.
 */
interface PackFile {
  readonly path: string;
  readonly mode: number;
}

let files: PackFile[];
beforeAll(async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
  });
  files = (JSON.parse(stdout) as Array<{ files: PackFile[] }>)[0]!.files;
}, 60_000);

test('ships the CLI, its templates, the keytool host class, README and LICENSE', () => {
  const paths = files.map((f) => f.path);
  const templates = readdirSync(join(ROOT, 'templates')).map((t) => `templates/${t}`);
  expect(templates.length).toBeGreaterThan(0);
  expect(paths).toEqual(
    expect.arrayContaining([
      'dist/cli.js',
      'java/KeytoolHost.class',
      // The host's own classes: a command's output buffers and the streams that write to them.
      'java/KeytoolHost$Command.class',
      'java/KeytoolHost$ByCommand.class',
      'java/TlsJudge.class',
      'java/PrincipalRules.class',
      'LICENSE',
      'README.md',
      'package.json',
      ...templates,
    ]),
  );
  expect(files.find((f) => f.path === 'dist/cli.js')!.mode & 0o111).not.toBe(0);
});

test('ships no source map, test, source (the Java host sources included) or built executable', () => {
  const stray = files
    .map((f) => f.path)
    .filter((p) => p.endsWith('.map') || p.endsWith('.java') || /^(src|test|bin|scripts|\.ci)\//.test(p));
  expect(stray).toEqual([]);
});
