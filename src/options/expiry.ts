/**
 * expiry's options: the thresholds (`28d`, `34%`), the output format and --textfile, read into what the watch needs.
 * Every value is checked before anything is read; a bad one is one line naming the option (exit 2).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Threshold } from '../pki/expiry-state.js';

export type { Threshold };

export type ExpiryFormat = 'text' | 'json' | 'prometheus';
export const EXPIRY_FORMATS: readonly ExpiryFormat[] = ['text', 'json', 'prometheus'];

/** The exporter's Helm chart alerts: CertificateRenewal at 28 days left, CertificateExpiration at 14. */
export const DEFAULT_WARN = '28d';
export const DEFAULT_CRITICAL = '14d';

const MAX_DAYS = 36500;

/** `Nd` (whole days, 0 to 36500) or `N%` (a share of the lifetime, above 0 and at most 100, up to 2 decimals). */
export function parseThreshold(option: string, raw: string): Threshold {
  const rule = 'must be whole days (28d) or a share of the lifetime left (34%)';
  const days = /^([0-9]{1,5})d$/.exec(raw);
  if (days) {
    const n = Number(days[1]);
    if (n > MAX_DAYS) throw new UsageError(option, `${rule}; days must be at most ${MAX_DAYS}, got "${raw}"`);
    return { kind: 'days', days: n };
  }
  const share = /^([0-9]{1,3}(?:\.[0-9]{1,2})?)%$/.exec(raw);
  if (share) {
    const n = Number(share[1]);
    if (n <= 0 || n > 100)
      throw new UsageError(option, `${rule}; a share must be above 0% and at most 100%, got "${raw}"`);
    return { kind: 'percent', percent: n };
  }
  throw new UsageError(option, `${rule}, got ${JSON.stringify(raw)}`);
}

export function formatThreshold(t: Threshold): string {
  return t.kind === 'days' ? `${t.days}d` : `${t.percent}%`;
}

export interface RawExpiryOptions {
  warn?: string;
  critical?: string;
  json?: boolean;
  format?: string;
  textfile?: string;
  passwordFile?: string;
  openssl?: string;
  keytool?: string;
}

export interface ExpiryParams {
  readonly warn: Threshold;
  readonly critical: Threshold;
  readonly format: ExpiryFormat;
  /** The directory node_exporter's textfile collector reads; the metrics go there instead of stdout. */
  readonly textfile?: string;
}

/** The options, checked: thresholds in order, one format, an existing directory for --textfile. */
export async function parseExpiryOptions(raw: RawExpiryOptions): Promise<ExpiryParams> {
  const warn = parseThreshold('--warn', raw.warn ?? DEFAULT_WARN);
  const critical = parseThreshold('--critical', raw.critical ?? DEFAULT_CRITICAL);
  // In one unit the critical mark must come later than the warning, or no certificate would ever be warned of.
  const later =
    warn.kind === 'days' && critical.kind === 'days'
      ? critical.days <= warn.days
      : warn.kind === 'percent' && critical.kind === 'percent'
        ? critical.percent <= warn.percent
        : true;
  if (!later)
    throw new UsageError(
      '--critical',
      `must leave less than --warn does (both measure what is left), got --warn ${formatThreshold(warn)} ` +
        `--critical ${formatThreshold(critical)}`,
    );
  const format = parseFormat(raw);
  let textfile: string | undefined;
  if (raw.textfile !== undefined) {
    if (format === 'json')
      throw new UsageError('--textfile', 'writes the Prometheus format: it cannot be used with --json');
    textfile = resolve(raw.textfile);
    const st = await stat(textfile).catch(() => undefined);
    if (!st?.isDirectory()) throw new UsageError('--textfile', `must be an existing directory; ${textfile} is not`);
  }
  return { warn, critical, format: textfile ? 'prometheus' : format, textfile };
}

function parseFormat(raw: RawExpiryOptions): ExpiryFormat {
  const format = raw.format ?? (raw.json ? 'json' : 'text');
  if (!(EXPIRY_FORMATS as readonly string[]).includes(format))
    throw new UsageError('--format', `must be one of ${EXPIRY_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  if (raw.json && format !== 'json')
    throw new UsageError('--json', `is --format json; it cannot be used with --format ${format}`);
  return format as ExpiryFormat;
}
