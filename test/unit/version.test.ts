import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../src/version.js';

test("the version compiled into the CLI is the package's own", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
