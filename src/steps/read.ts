import { ENGLISH_KEYTOOL_OPTIONS } from '../runner/jdk.js';

/**
 * The argv of every command that only reads (a certificate, a CSR, a key, a store) for verify, inspect, probe,
 * your own CA's checks and the password proof of apply and rotate-ca; openssl.ts and keytool.ts build the steps
 * that make things. One function per command, named for what it reads. As there, secrets reach the tools only
 * through the environment (`-passin env:VAR`, openssl-passphrase-options(1); `-storepass:env VAR`, keytool(1)),
 * and every option used is listed in openssl-options.ts.
 */

// openssl: certificates, given on stdin.

/** A certificate in full, as parseCertText reads it. */
export function certTextArgs(): string[] {
  return [
    'x509',
    '-noout',
    '-text',
    // -fingerprint -sha256 (x509(1)): the SHA-256 fingerprint; 1.1.1's default digest is SHA-1.
    '-fingerprint',
    '-sha256',
    '-nameopt',
    'RFC2253',
    // -certopt no_sigdump (x509(1), "TEXT OPTIONS"): the signature's hex bytes are of no use and long.
    '-certopt',
    'no_sigdump',
  ];
}

/** A certificate's public key, in PEM. */
export function certPublicKeyArgs(): string[] {
  return ['x509', '-noout', '-pubkey'];
}

/** A certificate's subject and issuer, one line each, as RFC 2253 names (`subject=CN=…`). */
export function certSubjectIssuerArgs(): string[] {
  return ['x509', '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253'];
}

// openssl: requests and keys.

/** A CSR's fields, and its public key in PEM for node:crypto to name. */
export function csrTextArgs(path: string): string[] {
  // -pubkey (req(1)): the request's public key in PEM, before the text.
  return ['req', '-noout', '-text', '-pubkey', '-nameopt', 'RFC2253', '-in', path];
}

/** A private key file's public half, in PEM then as text; an encrypted key opens with the password in `passwordEnv`. */
export function keyFilePublicArgs(path: string, passwordEnv: string): string[] {
  // -pubout -text_pub (pkey(1)): only the public half is printed, whatever the file holds.
  return ['pkey', '-in', path, '-pubout', '-text_pub', '-passin', `env:${passwordEnv}`];
}

/** A private key's public half in PEM, the key given on stdin. */
export function keyPublicArgs(passwordEnv: string): string[] {
  // -pubout (pkey(1)): the public key, never the private one, is written.
  return ['pkey', '-pubout', '-passin', `env:${passwordEnv}`];
}

// openssl: PKCS12 stores.

/** A PKCS12 store's certificates with their bag attributes (friendlyName, localKeyID), as parseOpensslPkcs12 reads. */
export function pkcs12ListArgs(path: string, passwordEnv: string): string[] {
  // -info (pkcs12(1)): the file's structure on stderr too; its MAC and Keybag lines say it opened and holds a key.
  return ['pkcs12', '-in', path, '-passin', `env:${passwordEnv}`, '-nokeys', '-info'];
}

/** A PKCS12 store's private key, unencrypted on stdout, to compare with its certificate in this process. */
export function pkcs12KeyArgs(path: string, passwordEnv: string): string[] {
  // -nodes (pkcs12(1)): the key is not encrypted again on output.
  return ['pkcs12', '-in', path, '-passin', `env:${passwordEnv}`, '-nocerts', '-nodes'];
}

/** Whether a PKCS12 store opens with the password in `passwordEnv`: nothing is printed. */
export function pkcs12OpensArgs(path: string, passwordEnv: string): string[] {
  // -noout (pkcs12(1)): only the MAC is checked (and the certificate bags decrypted), nothing printed.
  return ['pkcs12', '-in', path, '-passin', `env:${passwordEnv}`, '-noout'];
}

/** A PKCS12 keystore's own certificate and its key, unencrypted, for a TLS client to present. */
export function pkcs12ClientPemArgs(path: string, passwordEnv: string): string[] {
  // -clcerts (pkcs12(1)): the client (key entry's) certificate only, not the CA certificates.
  return ['pkcs12', '-in', path, '-passin', `env:${passwordEnv}`, '-nodes', '-clcerts'];
}

// openssl: chains.

/** Whether `cert` chains to a self-signed root through the certificates of `chain`, under RFC 5280's rules. */
export function verifyOwnChainArgs(chain: string, cert: string): string[] {
  // Without -partial_chain, openssl verify accepts only a chain that reaches a self-signed root.
  return ['verify', '-x509_strict', '-CAfile', chain, cert];
}

export interface VerifyLeavesSpec {
  /** -x509_strict as well: the profile of Python 3.13's default context. */
  readonly strict: boolean;
  readonly trusted: string;
  /** The intermediates any leaf needs; none when unset. */
  readonly untrusted?: string;
  readonly leaves: readonly string[];
}

/** Each leaf as a TLS client judges a server (purpose sslserver, security level 2): one verdict per file. */
export function verifyLeavesArgs(s: VerifyLeavesSpec): string[] {
  return [
    'verify',
    '-purpose',
    'sslserver',
    // OpenSSL's security level 2: RSA and DH of 2048 bits, no SHA-1 (openssl verify applies none by default).
    '-auth_level',
    '2',
    ...(s.strict ? ['-x509_strict'] : []),
    '-CAfile',
    s.trusted,
    ...(s.untrusted === undefined ? [] : ['-untrusted', s.untrusted]),
    ...s.leaves,
  ];
}

// keytool: JKS stores. English options, as the parsers read keytool's English words.

/** A JKS store's entries, each certificate as PEM. */
export function jksListArgs(path: string, passwordEnv: string): string[] {
  // -rfc (keytool(1), "-list"): each certificate printed in PEM, for node:crypto and openssl to read.
  return [...ENGLISH_KEYTOOL_OPTIONS, '-list', '-rfc', '-keystore', path, '-storepass:env', passwordEnv];
}

/** A JKS keystore copied to a PKCS12 one at `dest`, both under the password in `passwordEnv`: openssl reads PKCS12. */
export function jksToPkcs12Args(path: string, dest: string, passwordEnv: string): string[] {
  return [
    ...ENGLISH_KEYTOOL_OPTIONS,
    '-importkeystore',
    // Ask nothing: a question (to overwrite an entry, for a key password) fails instead of waiting on stdin.
    '-noprompt',
    '-srckeystore',
    path,
    '-srcstorepass:env',
    passwordEnv,
    '-destkeystore',
    dest,
    '-deststoretype',
    'PKCS12',
    '-deststorepass:env',
    passwordEnv,
  ];
}
