import { purposeOf, type Step, type StepOutput, type StepPurpose } from '../runner/step.js';
import { parseOpensslPkcs12, type ExpectedStore } from '../pki/stores.js';
import { storeCheckStep } from './store-check.js';
import { describeKey, type KeySpec } from '../model/keys.js';

/**
 * Steps that run openssl. Secrets reach openssl only as `-passout env:VAR`
 * (openssl-passphrase-options(1)): never as an argument.
 */

export interface CaCreateSpec {
  readonly config: string;
  readonly key: string;
  readonly cert: string;
  readonly keySpec: KeySpec;
  readonly days: number;
}

/**
 * `-newkey` for a key type, with options OpenSSL 1.1.1 and 3.x both take (req(1) -newkey, -pkeyopt): an EC key on
 * a named curve, its parameters written as the curve's OID (ec_param_enc:named_curve; 1.1.1 and 3.x default to it,
 * said here so that no build's default can give explicit parameters, which Java refuses). `req -newkey -nodes`
 * writes the key as unencrypted PKCS#8 (BEGIN PRIVATE KEY) in both, RSA and EC alike (checked on 1.1.1w and 3.0).
 */
export function newKeyArgs(k: KeySpec): string[] {
  if (!k.curve) return ['-newkey', `rsa:${k.keyBits}`];
  return ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${k.curve}`, '-pkeyopt', 'ec_param_enc:named_curve'];
}

export function createCa(s: CaCreateSpec): Step {
  return {
    id: 'ca.create',
    role: 'ca',
    title: `Create the CA key (${describeKey(s.keySpec)}) and self-signed v3 certificate`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      // -nodes: the CA key is written unencrypted, as the script's `encrypt_key = no` did. OpenSSL 3 calls it
      // -noenc and keeps -nodes; 1.1.1 knows only -nodes.
      args: [
        'req',
        '-new',
        '-x509',
        ...newKeyArgs(s.keySpec),
        '-nodes',
        '-keyout',
        s.key,
        '-out',
        s.cert,
        '-days',
        String(s.days),
        '-config',
        s.config,
      ],
    },
    reads: [s.config],
    writes: [s.key, s.cert],
  };
}

/** Reads the CA's extensions back: a CA Kafka's JVM accepts must say CA:TRUE and allow certificate signing. */
export function checkCa(cert: string): Step {
  return {
    id: 'ca.check',
    role: 'ca-check',
    title: 'Check the CA certificate is a v3 CA (CA:TRUE, keyCertSign)',
    action: {
      kind: 'exec',
      tool: 'openssl',
      args: ['x509', '-in', cert, '-noout', '-ext', 'basicConstraints,keyUsage'],
    },
    reads: [cert],
    writes: [],
    check: (o) => {
      if (!/CA:TRUE/.test(o.stdout)) return 'the CA certificate has no basicConstraints CA:TRUE';
      if (!/Certificate Sign/.test(o.stdout)) return 'the CA certificate has no keyUsage keyCertSign';
      return undefined;
    },
    summarize: () => 'CA:TRUE, keyCertSign',
  };
}

export interface LeafRequestSpec {
  /** The identity's id: the step's owner, and its id's prefix. */
  readonly id: string;
  readonly alias: string;
  readonly config: string;
  readonly key: string;
  readonly csr: string;
  readonly keySpec: KeySpec;
  /** The key was made by its own step (createLeafKey), which the request reads; else the request makes it. */
  readonly keyMade?: boolean;
}

/**
 * A leaf's RSA key on its own, for its request to read, made by the shared JVM when the run has one
 * (ExecAction.jvm: `@genkey`, the JDK's generator, the one the script's `keytool -genkey` made its brokers' keys
 * with), else by `genpkey`. Both write it as `req -newkey -nodes` does: unencrypted PKCS#8 in PEM (openssl 1.1.1
 * and 3.x alike), 0600.
 */
export function createLeafKey(s: {
  readonly id: string;
  readonly alias: string;
  readonly key: string;
  readonly keySpec: KeySpec;
}): Step {
  const bits = String(s.keySpec.keyBits);
  return {
    id: `${s.id}.key`,
    owner: s.id,
    role: 'request',
    title: `Create ${s.alias}'s key (${describeKey(s.keySpec)})`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      args: ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', s.key],
      jvm: ['@genkey', 'RSA', bits, s.key],
    },
    reads: [],
    writes: [s.key],
  };
}

export function createLeafRequest(s: LeafRequestSpec): Step {
  return {
    id: `${s.id}.request`,
    owner: s.id,
    role: 'request',
    title: s.keyMade
      ? `Create ${s.alias}'s certificate signing request`
      : `Create ${s.alias}'s key (${describeKey(s.keySpec)}) and certificate signing request`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      // -verify checks the new CSR's self-signature and prints a line that proves it.
      args: [
        'req',
        '-new',
        ...(s.keyMade ? ['-key'] : [...newKeyArgs(s.keySpec), '-nodes', '-keyout']),
        s.key,
        '-out',
        s.csr,
        '-config',
        s.config,
        '-verify',
      ],
    },
    reads: s.keyMade ? [s.config, s.key] : [s.config],
    writes: s.keyMade ? [s.csr] : [s.key, s.csr],
    // OpenSSL 3 says "Certificate request self-signature verify OK", 1.1.1 "verify OK" (apps/req.c).
    check: expectLine(
      /^(?:Certificate request self-signature )?verify OK$/m,
      "openssl did not confirm the request's self-signature",
    ),
  };
}

export interface SignSpec {
  /** The identity's id: the step's owner, and its id's prefix. */
  readonly id: string;
  readonly alias: string;
  readonly csr: string;
  readonly ext: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly out: string;
  readonly days: number;
  /** A random positive serial of at least 64 bits, as hex: no shared serial file, so signing can run in parallel. */
  readonly serialHex: string;
  /** The section of the extensions file to apply (-extensions), when it is not the file's default section. */
  readonly extensions?: string;
  /** The variable holding the CA key's passphrase, when the key is encrypted (your own CA). */
  readonly caKeyPasswordEnv?: string;
  /** The digest the CA signs with (model/keys.ts digestFor); sha256 unless given. */
  readonly digest?: 'sha256' | 'sha384';
}

export function signLeaf(s: SignSpec): Step {
  return {
    id: `${s.id}.sign`,
    owner: s.id,
    role: 'sign',
    title: `Sign ${s.alias}'s certificate with the CA`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      ...(s.caKeyPasswordEnv ? { secretEnv: [s.caKeyPasswordEnv] } : {}),
      args: [
        'x509',
        '-req',
        '-in',
        s.csr,
        '-CA',
        s.caCert,
        '-CAkey',
        s.caKey,
        ...(s.caKeyPasswordEnv ? ['-passin', `env:${s.caKeyPasswordEnv}`] : []),
        '-out',
        s.out,
        '-days',
        String(s.days),
        `-${s.digest ?? 'sha256'}`,
        '-set_serial',
        `0x${s.serialHex}`,
        '-extfile',
        s.ext,
        ...(s.extensions ? ['-extensions', s.extensions] : []),
      ],
    },
    reads: [s.csr, s.ext, s.caCert, s.caKey],
    writes: [s.out],
    // OpenSSL 3 says "Certificate request self-signature ok", 1.1.1 "Signature ok" (apps/x509.c).
    check: expectLine(
      /^(?:Certificate request self-signature ok|Signature ok)$/m,
      "openssl did not confirm the request's signature before signing",
    ),
  };
}

export function verifyLeaf(s: {
  /** The identity's id: the step's owner, and its id's prefix. */
  id: string;
  alias: string;
  caCert: string;
  cert: string;
  purpose: 'sslserver' | 'sslclient';
  untrusted?: string;
  /**
   * -x509_strict, as Python 3.13 and later verify; off only under a v1 CA, whose leaves strictness refuses
   * whatever they are.
   */
  strict: boolean;
}): Step {
  const untrusted = s.untrusted ? ['-untrusted', s.untrusted] : [];
  const against = s.untrusted ? 'root, through the CA chain' : 'CA';
  return {
    id: `${s.id}.verify`,
    owner: s.id,
    role: 'verify',
    title: `Verify ${s.alias}'s certificate against the ${against} (${s.purpose})`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      args: [
        'verify',
        ...(s.strict ? ['-x509_strict'] : []),
        '-purpose',
        s.purpose,
        '-CAfile',
        s.caCert,
        ...untrusted,
        s.cert,
      ],
    },
    reads: [s.caCert, s.cert, ...(s.untrusted ? [s.untrusted] : [])],
    writes: [],
    check: (o) => (o.stdout.trim() === `${s.cert}: OK` ? undefined : `openssl verify did not print "${s.cert}: OK"`),
  };
}

export interface Pkcs12Spec {
  /** The identity's id: the step's owner, and its id's prefix. */
  readonly id: string;
  readonly alias: string;
  readonly cert: string;
  readonly key: string;
  readonly caCert: string;
  readonly out: string;
  readonly passwordEnv: string;
}

/**
 * Bundles key, certificate and CA into a PKCS12 file for keytool to import.
 * The file is only an intermediate: it uses the old PBE-SHA1-3DES algorithms
 * so that any JDK's keytool (8 before u301 included) can read it.
 */
export function exportPkcs12(s: Pkcs12Spec): Step {
  return {
    id: `${s.id}.pkcs12`,
    owner: s.id,
    role: 'bundle',
    title: `Bundle ${s.alias}'s key, certificate and CA into PKCS12`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      secretEnv: [s.passwordEnv],
      args: [
        'pkcs12',
        '-export',
        '-in',
        s.cert,
        '-inkey',
        s.key,
        '-certfile',
        s.caCert,
        '-name',
        s.alias,
        '-out',
        s.out,
        '-passout',
        `env:${s.passwordEnv}`,
        '-keypbe',
        'PBE-SHA1-3DES',
        '-certpbe',
        'PBE-SHA1-3DES',
        '-macalg',
        'sha1',
        // A scratch bundle, read once by keytool and removed with the unencrypted key beside it:
        // one key-derivation round instead of 2048 saves keytool's time, not the output's strength.
        '-noiter',
        '-nomaciter',
      ],
    },
    reads: [s.cert, s.key, s.caCert],
    writes: [s.out],
  };
}

/**
 * The write-up's `openssl pkcs12 -export -chain -CAfile ca.pem`: openssl
 * builds and verifies the chain itself, and fails if the key does not match
 * the certificate. OpenSSL 3's default algorithms (AES-256, PBKDF2, a
 * SHA-256 MAC), which keytool reads from JDK 8u301 and 11.0.12 on.
 */
export function exportPkcs12Chain(s: Pkcs12Spec & { readonly caFile: string }): Step {
  return {
    id: `${s.id}.pkcs12`,
    owner: s.id,
    role: 'bundle',
    title: `Bundle ${s.alias}'s key and certificate with its chain into ${s.out}`,
    action: {
      kind: 'exec',
      tool: 'openssl',
      secretEnv: [s.passwordEnv],
      args: [
        'pkcs12',
        '-export',
        '-in',
        s.cert,
        '-inkey',
        s.key,
        '-chain',
        '-CAfile',
        s.caFile,
        '-name',
        s.alias,
        '-out',
        s.out,
        '-passout',
        `env:${s.passwordEnv}`,
      ],
    },
    reads: [s.cert, s.key, s.caFile],
    writes: [s.out],
  };
}

export interface Pkcs12CheckSpec extends StepPurpose {
  readonly id: string;
  readonly store: string;
  readonly passwordEnv: string;
  readonly expect: ExpectedStore;
}

/**
 * Opens a finished PKCS12 store with its password and checks what Java will
 * see in it: aliases, entry types, chain lengths. openssl does in a few
 * milliseconds what `keytool -list` does in half a second of JVM start-up.
 */
export function checkPkcs12Store(s: Pkcs12CheckSpec): Step {
  return storeCheckStep(
    s,
    {
      kind: 'exec',
      tool: 'openssl',
      secretEnv: [s.passwordEnv],
      // -nokeys: the check needs the bags' attributes, never a private key in its output.
      args: ['pkcs12', '-in', s.store, '-passin', `env:${s.passwordEnv}`, '-nokeys', '-info'],
    },
    (o) => parseOpensslPkcs12(o.stdout, o.stderr),
    (listing) => {
      const keyEntries = listing.entries.filter((e) => e.entryType === 'PrivateKeyEntry').length;
      return listing.keyBags !== keyEntries
        ? `the store holds ${listing.keyBags} private key(s) but ${keyEntries} certificate(s) paired with a key`
        : undefined;
    },
  );
}

function expectLine(pattern: RegExp, otherwise: string): (o: StepOutput) => string | undefined {
  return (o) => (pattern.test(o.stderr) || pattern.test(o.stdout) ? undefined : otherwise);
}

/**
 * A PKCS12 file's private key, unencrypted, then as PKCS#8 PEM alone: `pkcs12 -nocerts -nodes` writes bag
 * attributes before it, which `pkey` leaves out, so the key file is what `req -newkey -nodes` wrote.
 */
export function extractPkcs12Key(s: {
  readonly id: string;
  /** The identity whose key it is. */
  readonly owner: string;
  readonly alias: string;
  readonly p12: string;
  readonly bag: string;
  readonly out: string;
  readonly passwordEnv: string;
}): Step[] {
  return [
    {
      id: `${s.id}.bag`,
      ...purposeOf({ owner: s.owner, role: 'key-export' }),
      title: `Read ${s.alias}'s key from ${s.p12}`,
      action: {
        kind: 'exec',
        tool: 'openssl',
        secretEnv: [s.passwordEnv],
        args: ['pkcs12', '-in', s.p12, '-passin', `env:${s.passwordEnv}`, '-nocerts', '-nodes', '-out', s.bag],
      },
      reads: [s.p12],
      writes: [s.bag],
    },
    {
      id: `${s.id}.pkcs8`,
      ...purposeOf({ owner: s.owner, role: 'key-export' }),
      title: `Write ${s.alias}'s key to ${s.out}: PKCS#8, unencrypted`,
      action: { kind: 'exec', tool: 'openssl', args: ['pkey', '-in', s.bag, '-out', s.out] },
      reads: [s.bag],
      writes: [s.out],
    },
  ];
}
