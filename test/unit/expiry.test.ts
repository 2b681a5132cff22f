import { UsageError } from '../../src/errors.js';
import { parseExpiryOptions, parseThreshold } from '../../src/options/expiry.js';
import { exitCodeOf, nameFields, stateOf, type Threshold } from '../../src/pki/expiry-state.js';
import { escapeHelp, escapeLabelValue } from '../../src/report/expiry.js';

const DAY = 86_400_000;
const days = (n: number): Threshold => ({ kind: 'days', days: n });
const percent = (n: number): Threshold => ({ kind: 'percent', percent: n });

describe('parseThreshold', () => {
  test.each([
    ['10', /--warn: must be whole days \(28d\) or a share of the lifetime left \(34%\), got "10"$/],
    ['28 d', /got "28 d"$/],
    ['-1d', /got "-1d"$/],
    ['1.5d', /got "1.5d"$/],
    ['28D', /got "28D"$/],
    ['', /got ""$/],
    ['0%', /a share must be above 0% and at most 100%, got "0%"$/],
    ['100.5%', /at most 100%, got "100.5%"$/],
    ['33.333%', /got "33.333%"$/],
    ['36501d', /days must be at most 36500, got "36501d"$/],
    ['%', /got "%"$/],
  ])('refuses %j, naming the option and the rule', (raw, message) => {
    let caught: unknown;
    try {
      parseThreshold('--warn', raw);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toMatch(message);
  });

  test.each([
    ['28d', days(28)],
    ['0d', days(0)],
    ['36500d', days(36500)],
    ['34%', percent(34)],
    ['33.33%', percent(33.33)],
    ['100%', percent(100)],
    ['0.5%', percent(0.5)],
  ])('reads %j', (raw, want) => expect(parseThreshold('--warn', raw)).toEqual(want));
});

describe('parseExpiryOptions', () => {
  const refused = async (raw: Parameters<typeof parseExpiryOptions>[0]) =>
    parseExpiryOptions(raw).then(
      () => 'accepted',
      (e: unknown) => (e instanceof UsageError ? e.message : `not a UsageError: ${String(e)}`),
    );

  test('defaults: the exporter alerts at 28 and 14 days left, text output', async () => {
    expect(await parseExpiryOptions({})).toEqual({ warn: days(28), critical: days(14), format: 'text' });
  });

  test('a critical mark that leaves more than the warning, in one unit, is refused', async () => {
    expect(await refused({ warn: '10d', critical: '20d' })).toMatch(/^--critical: must leave less than --warn/);
    expect(await refused({ warn: '20%', critical: '30%' })).toMatch(/^--critical: must leave less than --warn/);
    // Two units cannot be ordered for every lifetime: both are kept.
    expect(await refused({ warn: '10d', critical: '30%' })).toBe('accepted');
    expect(await refused({ warn: '14d', critical: '14d' })).toBe('accepted');
  });

  test('format, --json and --textfile are checked against each other', async () => {
    expect(await refused({ format: 'yaml' })).toBe('--format: must be one of text, json, prometheus, got "yaml"');
    expect(await refused({ json: true, format: 'prometheus' })).toMatch(/^--json: is --format json; it cannot be/);
    expect(await refused({ json: true, textfile: '/tmp' })).toMatch(/^--textfile: writes the Prometheus format/);
    expect(await refused({ textfile: '/nonexistent-kmtls' })).toBe(
      '--textfile: must be an existing directory; /nonexistent-kmtls is not',
    );
    expect((await parseExpiryOptions({ textfile: '/tmp' })).format).toBe('prometheus');
  });
});

describe('stateOf', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  const state = (leftMs: number, warn = days(28), critical = days(14), livedMs = 365 * DAY) =>
    stateOf(at(-livedMs), at(leftMs), now, warn, critical);

  test('day thresholds compare the time left strictly, as the exporter`s `< 28` alert', () => {
    expect(state(28 * DAY)).toBe('ok');
    expect(state(28 * DAY - 1)).toBe('warn');
    expect(state(14 * DAY)).toBe('warn');
    expect(state(14 * DAY - 1)).toBe('critical');
    expect(state(0)).toBe('critical');
    expect(state(-1)).toBe('expired');
  });

  test('a share compares the time left with that share of the lifetime', () => {
    // 100 days of life, 34 left: exactly 34% is fine, a millisecond less warns.
    const lived = 66 * DAY;
    expect(state(34 * DAY, percent(34), percent(10), lived)).toBe('ok');
    expect(state(34 * DAY - 1, percent(34), percent(10), lived)).toBe('warn');
    expect(state(10 * DAY, percent(34), percent(10), 90 * DAY)).toBe('warn');
    expect(state(10 * DAY - 1, percent(34), percent(10), 90 * DAY + 1)).toBe('critical');
  });

  test('--critical 0d: critical only once expired; a certificate not yet valid is never fine', () => {
    expect(state(1, days(28), days(0))).toBe('warn');
    expect(stateOf(at(DAY), at(400 * DAY), now, days(28), days(14))).toBe('not-yet-valid');
  });

  test('mixed units: each mark applies on its own', () => {
    // 1000 days of life, 20 left: under 28d (warn), not under 1% (10 days).
    expect(state(20 * DAY, days(28), percent(1), 980 * DAY)).toBe('warn');
    expect(state(9 * DAY, days(28), percent(1), 991 * DAY)).toBe('critical');
  });
});

describe('exitCodeOf', () => {
  test('5 over 4 over 1 over 0: a read error is never fine, never an expiring certificate', () => {
    expect(exitCodeOf([], false)).toBe(0);
    expect(exitCodeOf(['ok'], false)).toBe(0);
    expect(exitCodeOf(['ok', 'warn'], false)).toBe(1);
    expect(exitCodeOf([], true)).toBe(4);
    expect(exitCodeOf(['warn'], true)).toBe(4);
    expect(exitCodeOf(['warn', 'critical'], true)).toBe(5);
    expect(exitCodeOf(['expired'], false)).toBe(5);
    expect(exitCodeOf(['not-yet-valid'], false)).toBe(5);
  });
});

describe('the exposition format', () => {
  test('label values escape backslash, double quote and line feed, and nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('tab\there, é, {}=,')).toBe('tab\there, é, {}=,');
  });

  test('HELP escapes backslash and line feed, and keeps double quotes', () => {
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  });
});

describe('nameFields', () => {
  test('the first value of each field the exporter labels, unescaped from Node`s rendering', () => {
    const name = 'C=KR\nO=Org\\, \\"Inc\\"\nOU=first\nOU=second\nCN=a + UID=x\nCN=later';
    expect(nameFields(name)).toEqual({ C: 'KR', O: 'Org, "Inc"', OU: 'first', CN: 'a' });
    expect(nameFields('CN=caf\\C3\\A9 \\\\ bar')).toEqual({ CN: 'café \\ bar' });
    expect(nameFields('')).toEqual({});
  });
});
