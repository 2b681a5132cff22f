import { execa } from 'execa';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { atExit, runExitCleanups } from '../../src/runner/at-exit.js';
import { ROOT } from '../helpers/cli.js';

describe('atExit', () => {
  // The registry is the process's: each test starts and ends with it empty.
  beforeEach(() => runExitCleanups());
  afterEach(() => runExitCleanups());

  test('runs the cleanups last registered first', () => {
    const ran: string[] = [];
    atExit(() => ran.push('lock'));
    atExit(() => ran.push('child'));
    atExit(() => ran.push('class dir'));
    runExitCleanups();
    expect(ran).toEqual(['class dir', 'child', 'lock']);
  });

  test('runs each cleanup once, however often the registry runs', () => {
    const ran: string[] = [];
    atExit(() => ran.push('a'));
    runExitCleanups();
    runExitCleanups();
    atExit(() => ran.push('b'));
    runExitCleanups();
    expect(ran).toEqual(['a', 'b']);
  });

  test('a cleanup that throws does not keep the others from running', () => {
    const ran: string[] = [];
    atExit(() => ran.push('first registered'));
    atExit(() => {
      throw new Error('EACCES');
    });
    atExit(() => ran.push('last registered'));
    expect(() => runExitCleanups()).not.toThrow();
    expect(ran).toEqual(['last registered', 'first registered']);
  });

  test('an unregistered cleanup does not run; the others still do', () => {
    const ran: string[] = [];
    atExit(() => ran.push('kept'));
    const forget = atExit(() => ran.push('released'));
    forget();
    // Twice is harmless (a lock released, then its exit hook forgotten again).
    forget();
    runExitCleanups();
    expect(ran).toEqual(['kept']);
  });

  test('one function registered twice is two cleanups, each unregistered on its own', () => {
    const ran: string[] = [];
    const cleanup = () => ran.push('x');
    const forgetFirst = atExit(cleanup);
    atExit(cleanup);
    forgetFirst();
    runExitCleanups();
    expect(ran).toEqual(['x']);
  });

  // The real thing: a process that ends by process.exit() or by an uncaught exception, where no `finally` runs.
  test.each([
    ['process.exit()', 'process.exit(4);', 4],
    ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); });", 1],
  ])('runs every cleanup when the process ends by %s, last registered first', async (_, end, code) => {
    const module = pathToFileURL(join(ROOT, 'dist/runner/at-exit.js')).href;
    const script = [
      `const { atExit } = await import(${JSON.stringify(module)});`,
      "atExit(() => console.log('first registered'));",
      "atExit(() => { throw new Error('a cleanup that fails'); });",
      "const forget = atExit(() => console.log('released'));",
      "atExit(() => console.log('last registered'));",
      'forget();',
      end,
    ].join('\n');
    const r = await execa('node', ['--input-type=module', '-e', script], { reject: false });
    expect(r.exitCode).toBe(code);
    expect(r.stdout.split('\n')).toEqual(['last registered', 'first registered']);
  });
});
