/**
 * A public key's type and size, in words, read in-process by node:crypto (asymmetricKeyType, asymmetricKeyDetails):
 * openssl's text names an EC key only by its OID lines and an EdDSA key has no size line at all.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** What inspect says of a key; `bits` and `curve` only where the type has them. */
export interface KeyFacts {
  /** RSA, RSA-PSS, DSA, EC, Ed25519, Ed448, X25519, X448, or Node's own name of another type. */
  readonly type: string;
  /** The modulus (RSA, DSA) or the curve's order (EC), as openssl's "Public-Key: (N bit)". */
  readonly bits?: number;
  /** EC: OpenSSL's name of the curve (prime256v1), and its NIST name when it has one (P-256). */
  readonly curve?: string;
  readonly nistCurve?: string;
  /** "RSA 2048 bits", "EC P-256 (prime256v1), 256 bits", "Ed25519". */
  readonly description: string;
}

/** Curve sizes as openssl prints them ("Public-Key: (256 bit)"): the bits of the curve's order. */
export const CURVE_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/** FIPS 186's names of the curves OpenSSL names otherwise (its "NIST CURVE:" line). */
const NIST_CURVES: Readonly<Record<string, string>> = {
  prime192v1: 'P-192',
  secp224r1: 'P-224',
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** The types whose key size is their modulus; the EdDSA and XDH ones, whose curve is their name. */
const SIZED: Readonly<Record<string, string>> = { rsa: 'RSA', 'rsa-pss': 'RSA-PSS', dsa: 'DSA' };
const NAMED: Readonly<Record<string, string>> = { ed25519: 'Ed25519', ed448: 'Ed448', x25519: 'X25519', x448: 'X448' };

/** A key's facts; a private key gives its public half's. */
export function keyFacts(key: KeyObject): KeyFacts {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const sized = SIZED[type];
  if (sized) {
    const bits = details.modulusLength;
    return bits === undefined
      ? { type: sized, description: sized }
      : { type: sized, bits, description: `${sized} ${bits} bits` };
  }
  if (type === 'ec') return ecFacts(details.namedCurve);
  const named = NAMED[type];
  return { type: named ?? type, description: named ?? type };
}

function ecFacts(curve: string | undefined): KeyFacts {
  if (curve === undefined) return { type: 'EC', description: 'EC' };
  const bits = CURVE_BITS[curve];
  const nistCurve = NIST_CURVES[curve];
  const name = nistCurve ? `${nistCurve} (${curve})` : curve;
  return {
    type: 'EC',
    curve,
    ...(nistCurve ? { nistCurve } : {}),
    ...(bits ? { bits } : {}),
    description: bits ? `EC ${name}, ${bits} bits` : `EC ${name}`,
  };
}

/** The facts of a key in PEM (public, or an unencrypted private key); undefined when Node cannot read it. */
export function pemKeyFacts(pem: string): KeyFacts | undefined {
  try {
    return keyFacts(createPublicKey(pem));
  } catch {
    return undefined;
  }
}
