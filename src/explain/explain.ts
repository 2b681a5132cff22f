/**
 * `explain`'s run: options checked, lines read (arguments, a log, stdin), each recognised by the families' tables,
 * repeats from a log grouped by cause, and with --certs each verdict's causes ranked by what verify's judges find
 * in the directory (judged once per host a line needs). Starts a process only for --certs (the judges').
 */
import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { named, UsageError } from '../errors.js';
import * as v from '../model/rules.js';
import { readBoundedText, READ_CAPS } from '../pki/read-file.js';
import { judgeDirectory, type VerifyDeps } from '../verdicts/directory.js';
import { entriesOf, TLS_FAILURE, type Entry } from './input.js';
import { materialOf, type Material } from './material.js';
import { recognise, type Recognised } from './recognise.js';
import type { ExplainedLine, ExplainResult, Side } from '../model/explain.js';
import { explainRecognised, unknownLine } from './verdict.js';

export interface RawExplainOptions {
  log?: string;
  certs?: string;
  host?: string;
  from?: string;
  json?: boolean;
  passwordFile?: string;
  openssl?: string;
  keytool?: string;
}

export interface ExplainDeps extends VerifyDeps {
  /** stdin, for `-`: read to its end, within a log's cap. */
  readonly stdin?: AsyncIterable<Buffer | string> & { readonly isTTY?: boolean };
  /** What each directory showed, by directory and host: kept across runs by a caller that explains many lines. */
  readonly materials?: Map<string, Promise<Material>>;
}

/** What one line (or group of repeats) came to, before its verdict. */
interface Item {
  readonly text: string;
  readonly rec?: Recognised;
  readonly count?: number;
  readonly first?: string;
  readonly last?: string;
}

export async function runExplain(lines: readonly string[], raw: RawExplainOptions, deps: ExplainDeps) {
  const opts = await checkOptions(lines, raw);
  const items: Item[] = lines
    .filter((l) => l !== '-')
    .map((l) => l.trim())
    .map((text) => ({ text, rec: recognise(text, opts.from) }));
  const logs: { label: string; text: string }[] = [];
  if (raw.log !== undefined && raw.log !== '-')
    logs.push({
      label: raw.log,
      text: await readBoundedText(resolve(raw.log), { kind: 'log', option: '--log', signal: deps.signal }),
    });
  if (raw.log === '-' || lines.includes('-')) logs.push({ label: 'stdin', text: await readStdin(deps) });
  for (const log of logs) {
    if (log.text.trim() === '') throw new UsageError(raw.log === log.label ? '--log' : '-', `${log.label} is empty`);
    items.push(...groupRepeats(entriesOf(log.text), opts.from));
  }
  const materials = deps.materials ?? new Map<string, Promise<Material>>();
  const materialFor = (host: string | undefined) => {
    const key = `${opts.certs}\0${host ?? ''}`;
    if (!materials.has(key)) materials.set(key, judge(opts.certs!, host, raw, deps));
    return materials.get(key)!;
  };
  const out: ExplainedLine[] = [];
  for (const it of items) {
    const extra = it.count === undefined ? {} : { count: it.count, first: it.first, last: it.last };
    if (!it.rec) {
      out.push({ ...unknownLine(it.text), ...extra });
      continue;
    }
    // Names are checked for the host the client dialled: --host, else the one the line names.
    const host = opts.host ?? (it.rec.rule.event === 'name-mismatch' ? it.rec.host : undefined);
    const material = opts.certs ? await materialFor(host) : undefined;
    out.push({ ...explainRecognised(it.text, it.rec, material), ...extra });
  }
  const result: ExplainResult = { lines: out };
  return { result, exitCode: exitCodeOf(out), logsWithoutTls: logs.length > 0 && items.length === 0 };
}

/** 4 when a line is not recognised; else 1 when the material shows none of a line's causes; else 0. */
export function exitCodeOf(lines: readonly ExplainedLine[]): number {
  if (lines.length === 0 || lines.some((l) => l.outcome === 'unknown')) return 4;
  if (lines.some((l) => l.materialShows === false)) return 1;
  return 0;
}

async function checkOptions(lines: readonly string[], raw: RawExplainOptions) {
  if (lines.filter((l) => l !== '-').every((l) => l.trim() === '') && raw.log === undefined && !lines.includes('-'))
    throw new UsageError('[line...]', 'give the error line(s) to explain, --log FILE, or - to read a log from stdin');
  if (lines.some((l) => l !== '-' && l.trim() === ''))
    throw new UsageError('[line...]', 'each argument must be a line of a log; one is empty');
  let from: Side | undefined;
  if (raw.from !== undefined) {
    if (raw.from !== 'broker' && raw.from !== 'client')
      throw new UsageError('--from', `must be broker or client (who logged the line), got ${JSON.stringify(raw.from)}`);
    from = raw.from;
  }
  if (raw.host !== undefined && !isIP(raw.host)) named('--host', () => v.dnsName(raw.host!));
  if (raw.certs !== undefined) {
    const st = await stat(resolve(raw.certs)).catch(() => undefined);
    if (!st?.isDirectory())
      throw new UsageError(
        '--certs',
        `must be a certs directory (made by kafka-mtls or mtls-kafka.sh); ${raw.certs} is not`,
      );
  }
  return { from, host: raw.host, certs: raw.certs === undefined ? undefined : resolve(raw.certs) };
}

async function readStdin(deps: ExplainDeps): Promise<string> {
  const input = deps.stdin;
  if (!input || input.isTTY)
    throw new UsageError('-', 'stdin is a terminal: pipe a log into it (… | kafka-mtls explain -)');
  const cap = READ_CAPS.log.bytes;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    if (total > cap)
      throw new UsageError('-', `must be at most ${cap / 1024 / 1024} MiB (a log file); stdin is larger`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A log's TLS records, repeats grouped by what they say (the family's row and who logged it), each group with its
 * count and first and last time; a TLS failure no row knows is kept, alone, as unknown.
 */
export function groupRepeats(entries: readonly Entry[], from: Side | undefined): Item[] {
  const groups = new Map<string, { text: string; rec?: Recognised; count: number; first?: string; last?: string }>();
  for (const e of entries) {
    const rec = recognise(e.text, from);
    if (!rec && !TLS_FAILURE.test(e.text)) continue;
    const key = rec ? `${rec.family}\0${rec.rule.id}\0${rec.logger}\0${rec.host ?? ''}` : `?\0${e.text}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { text: e.text, rec, count: 1, first: e.time, last: e.time });
    else {
      g.count++;
      if (e.time) {
        g.first ??= e.time;
        g.last = e.time;
      }
    }
  }
  return [...groups.values()];
}

async function judge(dir: string, host: string | undefined, raw: RawExplainOptions, deps: ExplainDeps) {
  const judged = await judgeDirectory(
    dir,
    {
      passwordFile: raw.passwordFile,
      openssl: raw.openssl,
      keytool: raw.keytool,
      ...(host ? { host: [host] } : {}),
    },
    deps,
  );
  // A store the password does not open hides what it holds: said, since no cause in it can then be shown.
  for (const f of judged.result.findings)
    if (f.status === 'fail' && f.check === 'opens')
      deps.warn?.(`--certs: ${f.target} ${f.message}: what it holds is not judged (--password-file or PASSWORD)`);
  return materialOf(raw.certs ?? dir, judged.parties, judged.result.findings);
}
