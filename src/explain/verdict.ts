/**
 * One line's verdict: the reading of its wording (outcome, who refused, the causes it allows with their prior
 * confidence), then, with a certs directory, the causes ranked by what verify's judges found in it.
 */
import { CAUSES } from './causes.js';
import { EVENTS, type Reading } from './events.js';
import type { Material, Shown } from './material.js';
import type { Recognised } from './recognise.js';
import {
  otherSide,
  type Cause,
  type CauseCode,
  type Confidence,
  type ExplainedLine,
  type Side,
} from '../model/explain.js';

const FAMILY_WORDS: Readonly<Record<string, string>> = {
  jsse: 'JSSE (a Kafka broker or Java client)',
  'kafka-broker': "the Kafka broker's",
  librdkafka: 'librdkafka (OpenSSL)',
  node: "Node's tls (OpenSSL)",
  go: "Go's crypto/tls",
  python: "Python's ssl (OpenSSL)",
  'openssl-cli': 'OpenSSL (s_client, s_server)',
};

export function unknownLine(text: string): ExplainedLine {
  return { text, family: null, outcome: 'unknown', refusedBy: null, causes: [] };
}

/** The verdict on a recognised line; `material` when --certs was given (judged for the host this line needs). */
export function explainRecognised(text: string, rec: Recognised, material?: Material): ExplainedLine {
  const logger = chooseLogger(rec, material);
  const reading = EVENTS[rec.rule.event](logger);
  const how =
    logger === rec.logger && rec.loggerFrom !== 'assumed'
      ? { wording: 'its wording says', line: 'the line says', '--from': '--from says' }[rec.loggerFrom]
      : logger !== rec.logger
        ? 'the material says, as only that side shows a fault'
        : 'assumed: say --from broker|client';
  const said =
    `${FAMILY_WORDS[rec.family]} wording "${oneLine(rec.matched)}": ${rec.rule.means} ` +
    `(logged by the ${logger}: ${how})`;
  const causes = rank(reading, said, material);
  const explained = !material || causes.some((c) => c.confidence !== 'low' || !CAUSES[c.code].material);
  const shownTop = material?.shown.find((s) => s.code === causes[0]?.code);
  const { outcome, refusedBy } = refine(reading, OPEN_EVENTS.has(rec.rule.event), shownTop);
  return {
    text,
    family: rec.family,
    outcome,
    refusedBy,
    causes,
    ...(material ? { materialShows: explained } : {}),
  };
}

/**
 * Who logged the line: what the wording, the line or --from says; when only assumed, the side whose reading the
 * material bears out (a certificate of that side is wrong), if one is.
 */
function chooseLogger(rec: Recognised, material: Material | undefined): Side {
  if (rec.loggerFrom !== 'assumed' || !material) return rec.logger;
  for (const side of [rec.logger, otherSide(rec.logger)])
    if (EVENTS[rec.rule.event](side).causes.some(([code]) => material.shown.some((s) => s.code === code))) return side;
  return rec.logger;
}

function rank(reading: Reading, said: string, material: Material | undefined): Cause[] {
  const seen = new Set<CauseCode>();
  const candidates = reading.causes.filter(([code]) => !seen.has(code) && seen.add(code));
  const base = ([code, confidence]: readonly [CauseCode, Confidence]): Cause => ({
    code,
    confidence,
    evidence: `${said}; ${CAUSES[code].meaning}`,
    files: [],
    fix: CAUSES[code].fix,
  });
  if (!material) return candidates.map(base);
  const shownOf = (code: CauseCode): Shown | undefined => material.shown.find((s) => s.code === code);
  const shown: Cause[] = [];
  const open: Cause[] = [];
  const ruledOut: Cause[] = [];
  for (const c of candidates) {
    const s = shownOf(c[0]);
    if (s)
      shown.push({ code: c[0], confidence: 'high', evidence: `${said}; ${s.evidence}`, files: s.files, fix: s.fix });
    else if (!CAUSES[c[0]].material) open.push(base(c));
    else
      ruledOut.push({
        ...base(c),
        confidence: 'low',
        evidence: `${said}; the material in ${material.dir} does not show it: verify's judges find no such fault`,
      });
  }
  return [...shown, ...open, ...ruledOut];
}

/** The outcome a certificate's fault makes, and the side that refuses it. */
const OUTCOME_OF: Partial<Record<CauseCode, (side: Side) => Pick<Reading, 'outcome' | 'refusedBy'>>> = {
  'name-not-in-san': () => ({ outcome: 'name-mismatch', refusedBy: 'client' }),
  'client-sent-no-certificate': () => ({ outcome: 'client-cert-required', refusedBy: 'broker' }),
  ...Object.fromEntries(
    (['server-ca-not-trusted', 'server-cert-expired', 'server-eku-lacks-serverauth'] as const).map((c) => [
      c,
      () => ({ outcome: 'server-untrusted', refusedBy: 'client' }) as const,
    ]),
  ),
  ...Object.fromEntries(
    (['client-ca-not-trusted', 'client-cert-expired', 'client-eku-lacks-clientauth'] as const).map((c) => [
      c,
      () => ({ outcome: 'client-cert-rejected', refusedBy: 'broker' }) as const,
    ]),
  ),
  // The side whose key is wrong signs, and its peer refuses the signature.
  'key-does-not-match-cert': (side) => ({ outcome: 'handshake-failed', refusedBy: otherSide(side) }),
  'chain-incomplete': (side) =>
    side === 'broker'
      ? { outcome: 'server-untrusted', refusedBy: 'client' }
      : { outcome: 'client-cert-rejected', refusedBy: 'broker' },
};

/** Events whose wording says no more than that a side hung up or failed: the material says what. */
const OPEN_EVENTS = new Set(['no-cause', 'peer-closed', 'closed-after-handshake']);

/** The outcomes of a refused certificate, which the wording alone cannot always tell apart. */
const REFINABLE = new Set(['server-untrusted', 'client-cert-rejected', 'name-mismatch', 'client-cert-required']);

/**
 * The reading's outcome, made precise by the fault the material shows: a broker's "bad certificate" alert is a
 * name mismatch when the broker's certificate lacks the name dialled; the broker's INFO line is the refusal the
 * material shows.
 */
function refine(reading: Reading, noCause: boolean, shown: Shown | undefined): Pick<Reading, 'outcome' | 'refusedBy'> {
  const to = shown && OUTCOME_OF[shown.code]?.(shown.side);
  if (to && (noCause || REFINABLE.has(reading.outcome))) return to;
  return { outcome: reading.outcome, refusedBy: reading.refusedBy };
}

/** A matched wording on one line, for the evidence. */
function oneLine(s: string): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
