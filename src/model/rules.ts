import { isIP, isIPv4, isIPv6 } from 'node:net';
import { brokerCn, type San, type StatefulSetParams } from './cluster.js';
import { RuleError } from '../errors.js';
import { MAX_CN_LENGTH, MAX_IDENTITIES, MAX_VALIDITY_DAYS, RSA_KEY_SIZES } from './defaults.js';

/**
 * One rule per kind of input, each failing with the same kind of sentence: "must be <rule>, got '<value>'", a
 * RuleError that the caller names (`named('--brokers', () => …)` in errors.ts, or a file's field by its path).
 * Values that end up in an openssl config are held to character sets that cannot change its meaning.
 */

const show = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

/** Why no leaf may outlive its CA. */
export const OUTLIVE = 'a certificate that outlives its CA fails verification from the day the CA expires';

export function wholeNumber(raw: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new RuleError(`must be a whole number from ${min} to ${max}, got ${show(raw)}`);
  }
  return Number(raw);
}

/** A certificate's validity in days. */
export function validityDays(raw: string): number {
  return wholeNumber(raw, 1, MAX_VALIDITY_DAYS);
}

/** How many brokers (or clients) one run makes. */
export function identityCount(raw: string): number {
  return wholeNumber(raw, 1, MAX_IDENTITIES);
}

/** An RSA key size: a whole number in range first, then one of the sizes keytool and openssl agree on. */
export function keyBits(raw: string): number {
  const bits = wholeNumber(raw, RSA_KEY_SIZES[0]!, RSA_KEY_SIZES[RSA_KEY_SIZES.length - 1]!);
  if (!RSA_KEY_SIZES.includes(bits))
    throw new RuleError(`must be an RSA key size of 2048, 3072, 4096 or 8192 bits, got ${bits}`);
  return bits;
}

/**
 * The longest broker CN of a StatefulSet must fit X.509's limit on a common name: the rule broken, for the
 * caller to put after the names that broke it ("--name/--headless-service make …"), or undefined.
 */
export function brokerCnTooLong(p: Pick<StatefulSetParams, 'name' | 'headlessService'>, brokers: number) {
  const cn = brokerCn(p, brokers - 1);
  if (cn.length <= MAX_CN_LENGTH) return undefined;
  return `the broker common name ${cn.length} characters long ("${cn}"); at most ${MAX_CN_LENGTH} are allowed`;
}

/** Where brokers and clients see their files: an absolute path that needs no quoting in a properties file. */
export function mountPath(raw: string): string {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(raw))
    throw new RuleError(`must be an absolute path of letters, digits and . _ - /, got ${JSON.stringify(raw)}`);
  return raw;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A Kubernetes-style name: one lower-case RFC 1123 DNS label. */
export function dnsLabel(raw: string): string {
  if (!LABEL.test(raw)) {
    throw new RuleError(
      "must be a DNS label (a-z, 0-9 and '-', 1 to 63 characters, starting and ending with a letter or digit), " +
        `got ${show(raw)}`,
    );
  }
  return raw;
}

/** A DNS name: dot-separated labels, at most 253 characters; a leading '*.' when wildcards are allowed. */
export function dnsName(raw: string, opts: { wildcard?: boolean } = {}): string {
  const name = opts.wildcard && raw.startsWith('*.') ? raw.slice(2) : raw;
  const labels = name.split('.');
  const ok = raw.length <= 253 && labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok) {
    const wild = opts.wildcard ? ', optionally starting with *.' : '';
    throw new RuleError(`must be a DNS name (labels of a-z, 0-9 and '-', separated by dots${wild}), got ${show(raw)}`);
  }
  return raw;
}

/**
 * --san (and a config file's and a state file's host lists): DNS:name, IP:address, or a bare
 * value, which is an IP when it reads as one, as in a config file. An IPv6
 * zone (fe80::1%eth0) names an interface of one machine: it has no place in
 * a certificate, and openssl refuses it when signing.
 */
export function san(raw: string): San {
  const m = /^(DNS|IP):(.*)$/i.exec(raw);
  const value = m ? m[2]! : raw;
  const kind = m ? (m[1]!.toUpperCase() as 'DNS' | 'IP') : isIP(value.split('%')[0]!) ? 'IP' : 'DNS';
  if (kind === 'IP') {
    if (value.includes('%'))
      throw new RuleError(
        `must be an IP address without a zone (%interface): a certificate holds addresses only, got ${show(raw)}`,
      );
    if (!isIPv4(value) && !isIPv6(value))
      throw new RuleError(`IP: must be followed by an IPv4 or IPv6 address, got ${show(raw)}`);
    return { kind, value };
  }
  return { kind, value: dnsName(value, { wildcard: true }) };
}

/**
 * A subject attribute (O, OU, L, ST, CN): letters, digits, spaces and . _ - ( ) @ :
 * No ',' '+' '=' '"' '\' '#' '$' '[' ']' or control characters: they would
 * either change the openssl config or be escaped in Kafka's RFC 2253 principal.
 */
export function subjectField(raw: string): string {
  if (raw.length > 64 || !/^[\p{L}\p{N}](?:[\p{L}\p{N} ._()@:-]*[\p{L}\p{N}.)])?$/u.test(raw)) {
    throw new RuleError(
      `must be 1 to 64 letters, digits, spaces or . _ - ( ) @ :, starting with a letter or digit, got ${show(raw)}`,
    );
  }
  return raw;
}

export function countryCode(raw: string): string {
  if (!/^[A-Z]{2}$/.test(raw))
    throw new RuleError(`must be a two-letter ISO 3166 country code in capitals (e.g. KR), got ${show(raw)}`);
  return raw;
}

export function emailAddress(raw: string): string {
  if (raw.length > 128 || !/^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(raw)) {
    throw new RuleError(`must be an e-mail address like name@example.com, got ${show(raw)}`);
  }
  return raw;
}

/**
 * keytool refuses store passwords under 6 characters. Only printable ASCII:
 * openssl and Java encode other characters differently when they derive
 * PKCS12 keys, so a store one of them writes would not open in the other.
 */
export function password(raw: string): string {
  if (raw.length < 6) throw new RuleError("must be at least 6 characters (keytool's minimum)");
  if (raw.length > 128) throw new RuleError('must be at most 128 characters');
  if (!/^[\x20-\x7e]+$/.test(raw)) {
    throw new RuleError(
      'must be printable ASCII: openssl and keytool encode other characters differently in PKCS12 stores',
    );
  }
  return raw;
}

export function oneOf<T extends string>(raw: string, allowed: readonly T[]): T {
  const v = raw.toLowerCase() as T;
  if (!allowed.includes(v)) throw new RuleError(`must be one of ${allowed.join(', ')}, got ${show(raw)}`);
  return v;
}

/**
 * A name that becomes part of file names (an alias: <alias>.keystore.jks, <alias>-creds/): no '/', no '..', no
 * leading '.' or '-', so that every path made from it stays a plain file in the output directory.
 */
export function fileStem(raw: string): string {
  if (raw.length > 64 || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(raw) || raw.includes('..')) {
    throw new RuleError(
      `must be a file-name stem (letters, digits, . _ -; not starting with . or -; no ..), got ${show(raw)}`,
    );
  }
  return raw;
}

/** A listener's name, as Kafka's listener maps take it (and listener.name.<name>.* lower-cases it). */
export function listenerName(raw: string): string {
  if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(raw))
    throw new RuleError(`must be a listener name in capitals (A-Z, 0-9, _), got ${JSON.stringify(raw)}`);
  return raw;
}

/** The name of an environment variable that holds a password (a config file's password.env). */
export function envName(raw: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw))
    throw new RuleError(`must be an environment variable name, got ${JSON.stringify(raw)}`);
  return raw;
}
