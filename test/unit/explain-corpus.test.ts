import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExplain } from '../../src/explain/explain.js';
import { ROOT } from '../helpers/cli.js';

/**
 * The lines real peers printed on loopback, material broken on purpose (test/helpers/explain-corpus.ts, by the
 * corpus's helper; a copy of its dump in test/fixtures/explain/corpus.json), read without the material, as the
 * integration test runs them: `--from <loggedBy>`, `--host <host>` where the scenario is about the name. What a
 * line says alone is checked in full; which certificate is wrong, only where the wording can say it: a text that
 * real peers printed in two scenarios with two causes (JSSE's certificate_unknown for an expired client and for
 * one from another CA) cannot name one, and --certs decides it (test/integration/explain.test.ts).
 */
interface CorpusLine {
  scenario: string;
  family: string;
  peer: string;
  loggedBy: 'broker' | 'client';
  text: string;
  host?: string;
  expect: { outcome: string; refusedBy: string; cause: string; file?: string };
}

const LINES = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/explain/corpus.json'), 'utf8')) as CorpusLine[];
/** A text as scenarios share it: ports, pids and times aside. */
const shape = (l: CorpusLine) => `${l.loggedBy}\0${l.text.replace(/\d+/g, 'N')}`;
const causesOf = new Map<string, Set<string>>();
for (const l of LINES) causesOf.set(shape(l), new Set([...(causesOf.get(shape(l)) ?? []), l.expect.cause]));
/**
 * Wordings that every stack uses for several causes (a received alert, JSSE's PKIX line, librdkafka's one sentence):
 * the first cause is the likeliest, not the one; the material names it.
 */
const MANY_CAUSES =
  /certificate_unknown|PKIX path|alert (certificate unknown|unknown ca|bad certificate)|ALERT_(CERTIFICATE_UNKNOWN|UNKNOWN_CA|BAD_CERTIFICATE)|broker certificate could not be verified|Insufficient buffer remaining|Remote host terminated|unexpected eof while reading/;

const explain = async (l: CorpusLine) => {
  const raw = { from: l.loggedBy, ...(l.host ? { host: l.host } : {}) };
  const { result } = await runExplain([l.text], raw, { env: {} });
  return result.lines[0]!;
};

test('the copy holds the scenarios of issue #22 across the families, at least 60 lines', () => {
  expect(LINES.length).toBeGreaterThanOrEqual(60);
  expect(new Set(LINES.map((l) => l.scenario)).size).toBeGreaterThanOrEqual(12);
  expect(new Set(LINES.map((l) => l.family)).size).toBeGreaterThanOrEqual(4);
});

describe.each(LINES.map((l, i) => [`${i} ${l.scenario}: ${l.peer}`, l] as const))('%s', (_, l) => {
  const alone = causesOf.get(shape(l))!.size === 1 && !MANY_CAUSES.test(l.text);
  test(
    alone
      ? 'gives its family, outcome, the side that refused and its cause first'
      : 'gives its family and the side that refused, its cause among those given (its wording names several)',
    async () => {
      const v = await explain(l);
      expect([v.family, v.refusedBy]).toEqual([l.family, l.expect.refusedBy]);
      expect(v.causes.map((c) => c.code)).toContain(l.expect.cause);
      if (alone) expect([v.outcome, v.causes[0]!.code]).toEqual([l.expect.outcome, l.expect.cause]);
    },
  );
});
