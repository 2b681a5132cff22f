import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { availableKinds, buildCorpus, type Kind, type KindSpec, PASSWORD } from '../helpers/corpus.js';
import { pool } from '../helpers/corpus-pki.js';
import { askOracles, type OracleVerdicts } from '../helpers/oracles.js';

/**
 * `verify` agrees with the real judges. For every kind of certs directory in the corpus (test/helpers/corpus.ts:
 * good material in each layout, and copies of a fresh generate each doctored one way), Java's TLS (JSSE
 * handshakes as Kafka makes them, client -> broker and broker -> broker, TLS 1.2 and 1.3) and OpenSSL
 * (`openssl verify` of what each peer is shown, plain and -x509_strict) are asked first; then:
 *   - when JSSE or OpenSSL refuses the material, verify fails, and a failing finding names the wrong file;
 *   - when both accept it, and strict OpenSSL too, verify does not fail;
 *   - when only strict clients refuse it, verify warns or fails saying so (the script's v1 CA: a warning).
 * A verify that approximates TLS by itself fails rows of this table: each such row is material verify passes
 * and a real stack refuses, or the other way round.
 *
 * test/fixtures/verdicts.json records what the oracles said when this was written, and the first test checks
 * they still say it, so a JDK or OpenSSL that judges differently shows up as such, not as a verify bug.
 * UPDATE_VERDICTS=1 writes that file again; KMTLS_KEEP_CORPUS=1 keeps the corpus (its path is printed).
 */

interface Finding {
  status: 'pass' | 'warn' | 'fail';
  target: string;
  check: string;
  message: string;
}
interface Verified {
  exitCode: number;
  failed?: boolean;
  findings: Finding[];
  stderr: string;
}

const VERDICTS = join(ROOT, 'test/fixtures/verdicts.json');
const { kinds: SPECS, skipped } = availableKinds();
for (const s of skipped) process.stderr.write(`skipped kind ${s.id}: ${s.reason}\n`);

let work: string;
const kinds = new Map<string, Kind>();
let oracle: Record<string, OracleVerdicts>;
const verified = new Map<string, Verified>();

async function verify(kind: Kind): Promise<Verified> {
  const r = await runCli(['verify', kind.dir, '--json', ...(kind.flags ?? [])], { cwd: work, env: { PASSWORD } });
  try {
    const out = JSON.parse(r.stdout) as { failed: boolean; findings: Finding[] };
    return { exitCode: r.exitCode, failed: out.failed, findings: out.findings, stderr: r.stderr };
  } catch {
    return { exitCode: r.exitCode, findings: [], stderr: r.stderr || r.stdout };
  }
}

/** Whether a finding names the kind's wrong file (or one of its other names), in its target or its message. */
function namesFile(f: Finding, spec: KindSpec): boolean {
  const text = `${f.target} ${f.message}`;
  return [spec.file, ...(spec.alsoFiles ?? [])]
    .filter((x): x is string => !!x)
    .some((file) => text.includes(file) || (file.includes('/') && text.includes(basename(file))));
}
const mentionsStrict = (f: Finding) => /strict/i.test(`${f.check} ${f.message}`);
const refusedByJudges = (o: OracleVerdicts) => o.jsse === 'refused' || o.openssl === 'refused';
const show = (f: Finding) => `${f.status.toUpperCase()} ${f.target} ${f.check}: ${f.message}`;

/** What verify must say of a kind, as the table shows it, and whether it did. */
function expectation(spec: KindSpec, o: OracleVerdicts, v: Verified): { expected: string; met: boolean } {
  const fails = v.findings.filter((f) => f.status === 'fail');
  if (refusedByJudges(o))
    return { expected: `fail naming ${spec.file}`, met: v.failed === true && fails.some((f) => namesFile(f, spec)) };
  if (o.strict === 'ok') return { expected: 'no failure', met: v.failed === false };
  const strict = v.findings.filter((f) => f.status !== 'pass' && mentionsStrict(f));
  if (spec.strictIsWarn)
    return {
      expected: 'strict warn',
      met: strict.some((f) => f.status === 'warn') && !strict.some((f) => f.status === 'fail'),
    };
  return { expected: 'strict warn/fail', met: strict.length > 0 };
}

function verdictOf(v: Verified): string {
  if (v.failed === undefined) return `no JSON (exit ${v.exitCode})`;
  const n = (s: string) => v.findings.filter((f) => f.status === s).length;
  return v.failed ? `fail (${n('fail')} fail, ${n('warn')} warn)` : n('warn') ? `pass (${n('warn')} warn)` : 'pass';
}

function table(seconds: { corpus: number; oracles: { jsse: number; openssl: number; both: number }; verify: number }) {
  const rows = SPECS.map((spec) => {
    const o = oracle[spec.id]!;
    const v = verified.get(spec.id)!;
    const e = expectation(spec, o, v);
    return [spec.id, o.jsse, o.openssl, o.strict, e.expected, verdictOf(v), e.met ? 'yes' : 'NO'];
  });
  const head = ['kind', 'JSSE', 'OpenSSL', 'strict', 'verify must', 'verify says', 'agrees'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const agree = rows.filter((r) => r[6] === 'yes').length;
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${agree} of ${rows.length} kinds agree. Seconds: corpus ${seconds.corpus.toFixed(0)}, oracles ` +
      `${seconds.oracles.both.toFixed(0)} (side by side: JSSE ${seconds.oracles.jsse.toFixed(0)}, OpenSSL ` +
      `${seconds.oracles.openssl.toFixed(0)}), verify ${seconds.verify.toFixed(0)}`,
    ...skipped.map((s) => `skipped ${s.id}: ${s.reason}`),
  ].join('\n');
}

beforeAll(async () => {
  work = await tempDir('kmtls-verdicts-');
  const corpus = await buildCorpus(work, SPECS);
  for (const k of corpus.kinds) kinds.set(k.id, k);
  const asked = await askOracles(corpus.kinds, work);
  oracle = asked.verdicts;
  const start = Date.now();
  const results = await pool(
    3,
    corpus.kinds.map((k) => () => verify(k)),
  );
  corpus.kinds.forEach((k, i) => verified.set(k.id, results[i]!));
  const t = table({ corpus: corpus.seconds, oracles: asked.seconds, verify: (Date.now() - start) / 1000 });
  await writeFile(join(work, 'verdicts-table.md'), `${t}\n`);
  console.log(`kind -> oracle verdicts -> verify's verdict (${join(work, 'verdicts-table.md')})\n${t}`);
  if (process.env.UPDATE_VERDICTS === '1') await writeFile(VERDICTS, `${JSON.stringify(oracle, null, 2)}\n`);
}, 1_800_000);

afterAll(async () => {
  if (process.env.KMTLS_KEEP_CORPUS === '1') console.log(`corpus kept in ${work}`);
  else if (work) await rm(work, { recursive: true, force: true });
});

test('the oracles say what test/fixtures/verdicts.json records (a changed JDK or OpenSSL shows here)', () => {
  const recorded = JSON.parse(readFileSync(VERDICTS, 'utf8')) as Record<string, OracleVerdicts>;
  const ids = SPECS.map((k) => k.id);
  expect(Object.fromEntries(ids.map((id) => [id, oracle[id]]))).toEqual(
    Object.fromEntries(ids.map((id) => [id, recorded[id]])),
  );
});

// Each row compares a whole object with itself but for what verify must say (toEqual({ ...got, … })), so that a
// failing row prints what the judges said and every finding verify printed, not only the field that differs.
test.each(SPECS.map((k) => [k.id, k.sentence, k] as const))('%s: %s', (id, _sentence, spec) => {
  const o = oracle[id]!;
  const v = verified.get(id)!;
  const judges = { jsse: o.jsse, openssl: o.openssl, strict: o.strict };
  const fails = v.findings.filter((f) => f.status === 'fail');
  if (refusedByJudges(o)) {
    expect(spec.file).toBeDefined();
    const got = {
      judges,
      why: [...o.jsseMessages, ...o.opensslMessages].slice(0, 4),
      failed: v.failed,
      failsNamingFile: fails.filter((f) => namesFile(f, spec)).map(show),
      fails: fails.map(show),
      stderr: v.stderr,
    };
    expect(got).toEqual({ ...got, failed: true, failsNamingFile: expect.arrayContaining([expect.any(String)]) });
  } else if (o.strict === 'ok') {
    const got = { judges, failed: v.failed, fails: fails.map(show), stderr: v.stderr };
    expect(got).toEqual({ ...got, failed: false, fails: [] });
  } else {
    const strict = v.findings.filter((f) => f.status !== 'pass' && mentionsStrict(f));
    const got = {
      judges,
      why: o.strictMessages.slice(0, 4),
      strictFindings: strict.map(show),
      strictWarns: strict.filter((f) => f.status === 'warn').map(show),
      strictFails: strict.filter((f) => f.status === 'fail').map(show),
      warnsOrFails: v.findings.filter((f) => f.status !== 'pass').map(show),
    };
    const some = expect.arrayContaining([expect.any(String)]);
    expect(got).toEqual({ ...got, strictFindings: some });
    if (spec.strictIsWarn) expect(got).toEqual({ ...got, strictWarns: some, strictFails: [] });
  }
});
