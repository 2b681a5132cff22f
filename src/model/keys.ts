/**
 * The key types a CA or a leaf may have: RSA (the script's, and the default) or ECDSA on a named NIST curve.
 * `--key-type`, `--ca-key-type` and a config's keyType name them as rsa-2048 … ec-p384.
 */
import { RuleError } from '../errors.js';
import { CA_KEY_BITS, LEAF_KEY_BITS } from './defaults.js';

/** The named curves kafka-mtls makes keys on: every client family accepts both under TLS 1.2 and 1.3. */
export type Curve = 'P-256' | 'P-384';
export const CURVES: readonly Curve[] = ['P-256', 'P-384'];

/** A key as a CA or an identity records it: RSA of keyBits, or EC on `curve` (keyBits is then the curve's size). */
export interface KeySpec {
  readonly keyBits: number;
  readonly curve?: Curve;
}

export const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** The curve's size, as openssl prints it ("Public-Key: (256 bit)"). */
export const CURVE_BITS: Readonly<Record<Curve, number>> = { 'P-256': 256, 'P-384': 384 };

/** The script's keys: RSA 2048 for the leaves, RSA 4096 for the CA (a default run stays byte for byte the same). */
export const DEFAULT_LEAF_KEY: KeySpec = { keyBits: LEAF_KEY_BITS };
export const DEFAULT_CA_KEY: KeySpec = { keyBits: CA_KEY_BITS };

/** A key type's spec; the caller names what gave it (errors.ts's named). */
export function parseKeyType(raw: string): KeySpec {
  // As rules.ts's oneOf reads a choice (which imports cluster.ts, which imports this): case-insensitive.
  const type = KEY_TYPES.find((t) => t === raw.toLowerCase());
  if (!type) throw new RuleError(`must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(raw)}`);
  const [alg, size] = type.split('-') as ['rsa' | 'ec', string];
  if (alg === 'rsa') return { keyBits: Number(size) };
  const curve: Curve = size === 'p256' ? 'P-256' : 'P-384';
  return { keyBits: CURVE_BITS[curve], curve };
}

/** The name --key-type gives a key: rsa-2048, ec-p256 (rsa-8192 too, which only a config's keyBits asks for). */
export function keyTypeName(k: KeySpec): string {
  return k.curve ? `ec-${k.curve.replace('-', '').toLowerCase()}` : `rsa-${k.keyBits}`;
}

/** "RSA 2048", "EC P-256": as step titles and reasons say it. */
export function describeKey(k: KeySpec): string {
  return k.curve ? `EC ${k.curve}` : `RSA ${k.keyBits}`;
}

/** Only the key of something that has one (an identity, a CA spec). */
export function keyOf(x: KeySpec): KeySpec {
  return x.curve ? { keyBits: x.keyBits, curve: x.curve } : { keyBits: x.keyBits };
}

/** x with the key k instead of its own; its other fields and their order kept. */
export function withKey<T extends KeySpec>(x: T, k: KeySpec): T {
  const { curve: _, ...rest } = { ...x, keyBits: k.keyBits };
  return (k.curve ? { ...rest, curve: k.curve } : rest) as T;
}

export function sameKey(a: KeySpec, b: KeySpec): boolean {
  return a.keyBits === b.keyBits && a.curve === b.curve;
}

/**
 * The digest a key signs with: SHA-384 for P-384, whose strength SHA-256 would halve (NIST SP 800-57's pairing,
 * and what TLS 1.3's ecdsa_secp384r1_sha384 names); SHA-256 otherwise, as the script signs with RSA.
 */
export function digestFor(k: KeySpec): 'sha256' | 'sha384' {
  return k.curve === 'P-384' ? 'sha384' : 'sha256';
}
