import type { StoreType } from '../model/cluster.js';
import { ENGLISH_KEYTOOL_OPTIONS } from '../runner/jdk.js';
import { purposeOf, type Step, type StepPurpose } from '../runner/step.js';
import { parseKeytoolList, type ExpectedStore } from '../pki/stores.js';
import { storeCheckStep } from './store-check.js';

/**
 * Steps that run keytool. keytool is the slowest tool this one runs (a JVM start per step, or one shared JVM's
 * turn: runner/keytool-host.ts), so the plan uses as few keytool steps as the output allows.
 * Passwords go as `-storepass:env VAR` (keytool(1), "-storepass:env"): never as an argument.
 */
const JVM_OPTIONS = [
  ...ENGLISH_KEYTOOL_OPTIONS,
  // A short-lived tool gains nothing from the optimizing JIT or a parallel GC;
  // measured here: 0.62 s -> 0.39 s wall and half the CPU per start.
  '-J-XX:TieredStopAtLevel=1',
  '-J-XX:+UseSerialGC',
  // No hsperfdata file to create and remove for each run.
  '-J-XX:-UsePerfData',
];

/** keytool's name for a store type, or nothing: then keytool uses its JDK's default, as the script did. */
function storeTypeArgs(flag: string, type: StoreType): string[] {
  return type === 'auto' ? [] : [flag, type === 'jks' ? 'JKS' : 'PKCS12'];
}

export interface ImportCertSpec extends StepPurpose {
  readonly id: string;
  readonly title: string;
  readonly store: string;
  readonly alias: string;
  readonly cert: string;
  readonly storeType: StoreType;
  readonly passwordEnv: string;
}

export function importTrustedCert(s: ImportCertSpec): Step {
  return {
    id: s.id,
    ...purposeOf(s),
    title: s.title,
    action: {
      kind: 'exec',
      tool: 'keytool',
      secretEnv: [s.passwordEnv],
      args: [
        ...JVM_OPTIONS,
        '-importcert',
        // -noprompt: otherwise keytool asks "Trust this certificate?" on standard input.
        '-noprompt',
        '-alias',
        s.alias,
        '-file',
        s.cert,
        '-keystore',
        s.store,
        ...storeTypeArgs('-storetype', s.storeType),
        '-storepass:env',
        s.passwordEnv,
      ],
    },
    reads: [s.cert],
    writes: [s.store],
    check: (o) =>
      /Certificate was added to keystore/.test(o.stdout + o.stderr)
        ? undefined
        : 'keytool did not confirm "Certificate was added to keystore"',
  };
}

export interface ImportKeystoreSpec {
  /** The identity's id: the step's owner, and its id's prefix. */
  readonly id: string;
  readonly alias: string;
  readonly source: string;
  readonly store: string;
  readonly storeType: StoreType;
  readonly passwordEnv: string;
  /** The destination does not exist yet: keytool creates it. */
  readonly fresh?: boolean;
}

/** Imports a PKCS12 bundle's key entry (key + chain) into a store that already holds the trusted CA. */
export function importKeyEntry(s: ImportKeystoreSpec): Step {
  return {
    id: `${s.id}.import`,
    owner: s.id,
    role: 'keystore',
    title: `Import ${s.alias}'s key and chain into ${s.fresh ? s.store : 'its keystore'}`,
    action: {
      kind: 'exec',
      tool: 'keytool',
      secretEnv: [s.passwordEnv],
      args: [
        ...JVM_OPTIONS,
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        s.source,
        '-srcstoretype',
        'PKCS12',
        '-srcstorepass:env',
        s.passwordEnv,
        '-destkeystore',
        s.store,
        ...storeTypeArgs('-deststoretype', s.storeType),
        '-deststorepass:env',
        s.passwordEnv,
      ],
    },
    reads: s.fresh ? [s.source] : [s.source, s.store],
    writes: [s.store],
    check: (o) =>
      /Import command completed:\s+1 entries successfully imported, 0 entries failed or cancelled/.test(
        o.stdout + o.stderr,
      )
        ? undefined
        : 'keytool did not confirm "1 entries successfully imported, 0 entries failed"',
  };
}

/**
 * Copies one key entry of a keystore (JKS or PKCS12: keytool finds which) into a new PKCS12 file, under the same
 * password, for openssl to read its key from (plans/rotate-ca.ts: a Secret's tls.key made again).
 */
export function exportKeyEntry(s: {
  readonly id: string;
  /** The identity whose key entry it is. */
  readonly owner: string;
  readonly alias: string;
  readonly store: string;
  readonly out: string;
  readonly passwordEnv: string;
}): Step {
  return {
    id: s.id,
    owner: s.owner,
    role: 'key-export',
    title: `Copy ${s.alias}'s key entry from ${s.store} to ${s.out}`,
    action: {
      kind: 'exec',
      tool: 'keytool',
      secretEnv: [s.passwordEnv],
      args: [
        ...JVM_OPTIONS,
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        s.store,
        '-srcstorepass:env',
        s.passwordEnv,
        '-srcalias',
        s.alias,
        '-destkeystore',
        s.out,
        '-deststoretype',
        'PKCS12',
        '-deststorepass:env',
        s.passwordEnv,
      ],
    },
    reads: [s.store],
    writes: [s.out],
    // With -srcalias keytool prints no count (measured: JDK 17 says only "Importing keystore A to B..."), so the
    // check is the step's exit code and its written file; openssl's read of the key after it opens the file.
    check: (o) =>
      /Importing keystore/.test(o.stdout + o.stderr) ? undefined : `keytool did not say it copied ${s.alias}'s entry`,
  };
}

export interface ListSpec extends StepPurpose {
  readonly id: string;
  readonly store: string;
  readonly storeType: StoreType;
  readonly passwordEnv: string;
  readonly expect: ExpectedStore;
}

/** Opens a finished store with keytool (any store type; one more keytool run). */
export function checkStore(s: ListSpec): Step {
  return storeCheckStep(
    s,
    {
      kind: 'exec',
      tool: 'keytool',
      secretEnv: [s.passwordEnv],
      args: [
        ...JVM_OPTIONS,
        '-list',
        '-v',
        '-keystore',
        s.store,
        ...storeTypeArgs('-storetype', s.storeType),
        '-storepass:env',
        s.passwordEnv,
      ],
    },
    (o) => parseKeytoolList(o.stdout),
  );
}
