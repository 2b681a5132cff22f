/**
 * Lines to explain, from a whole log: its records (a Java stack trace's `Caused by:` and `at` lines joined to the
 * line that logged it, a Python traceback to its last line), each with its time where the log has times. Pure.
 */

export interface Entry {
  readonly text: string;
  /** When it was logged, as the log writes it (a librdkafka epoch as ISO 8601). */
  readonly time?: string;
}

/** A line that continues the record above it. */
const CONTINUATION =
  /^(\s+at |\s*Caused by: |\s*\.\.\. \d+ (more|common frames omitted)|\s+Suppressed: |\t|\s{2,}\S|\s*File "|\s*\^+\s*$)/;
/** An exception's own line under the line that logged it: `javax.net.ssl.SSLHandshakeException: …`. */
const EXCEPTION = /^[a-z][\w$]*(\.[\w$]+)+(Exception|Error)(: |$)|^[A-Z]\w*(Exception|Error)(: |$)|^ssl\.\w+Error\b/;

const TIMES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => string]> = [
  [/%\d\|(\d{10}\.\d{3})\|/, (m) => new Date(Number(m[1]) * 1000).toISOString()],
  [/\b(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/, (m) => m[1]!],
  [/\b(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)/, (m) => m[1]!],
  [/^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})/, (m) => m[1]!],
];

export function timeOf(line: string): string | undefined {
  for (const [re, read] of TIMES) {
    const m = re.exec(line);
    if (m) return read(m);
  }
  return undefined;
}

/** A log's records, in order. */
export function entriesOf(log: string): Entry[] {
  const out: { lines: string[]; time?: string }[] = [];
  let traceback = false;
  for (const raw of log.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    const last = out[out.length - 1];
    const time = timeOf(line);
    if (last && time === undefined && (traceback || CONTINUATION.test(line) || EXCEPTION.test(line))) {
      last.lines.push(line);
      // A Python traceback ends with its exception's line.
      if (traceback && /^[A-Za-z_][\w.]*(Error|Exception)\b/.test(line)) traceback = false;
      continue;
    }
    traceback = /^Traceback \(most recent call last\):/.test(line);
    out.push({ lines: [line], ...(time ? { time } : {}) });
  }
  return out.map((e) => ({ text: e.lines.join('\n'), ...(e.time ? { time: e.time } : {}) }));
}

/** A record that speaks of a TLS failure, recognised or not: what a log's unknown lines are picked by. */
export const TLS_FAILURE =
  /SSLHandshakeException|SSLException|SSLProtocolException|\bx509: |\btls: |CERTIFICATE_VERIFY_FAILED|\[SSL: |SSL routines|\b(SSL|TLS)\b[^\n]*\b(handshake|alert|fail(ed|ure)?|error)\b/i;
