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
  return {
    text,
    family: rec.family,
    outcome: reading.outcome,
    refusedBy: reading.refusedBy,
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

/** A matched wording on one line, for the evidence. */
function oneLine(s: string): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
