/**
 * Known openssl and keytool failure messages, and what to do about each.
 * Every entry is tested against output captured from the real tools
 * (test/fixtures/outputs/<id>.txt), so that a change in wording shows up as a
 * failing test rather than as a missing hint.
 */
export interface HintEntry {
  readonly id: string;
  readonly pattern: RegExp;
  readonly hint: string;
}

export const HINTS: readonly HintEntry[] = [
  {
    id: 'keytool-wrong-password-pkcs12',
    pattern: /keystore password was incorrect/,
    hint: 'The store password does not open this store. Check PASSWORD or --password-file; a store made with another password must be regenerated or opened with that password.',
  },
  {
    id: 'keytool-wrong-password-jks',
    pattern: /Keystore was tampered with, or password was incorrect/,
    hint: 'The store password does not open this store (or the file is corrupt). Check PASSWORD or --password-file.',
  },
  {
    id: 'openssl-mac-verify',
    pattern: /Mac verify error/,
    hint: 'openssl could not open the PKCS12 file with this password. Check PASSWORD or --password-file.',
  },
  {
    id: 'keytool-alias-exists',
    pattern: /alias <([^>]*)> already exists/,
    hint: 'The store already holds an entry with this alias. Start from an empty store, or delete the entry first (keytool -delete -alias …).',
  },
  {
    id: 'keytool-chain-not-established',
    pattern: /Failed to establish chain from reply/,
    hint: 'keytool could not link the signed certificate to a trusted CA: import the CA certificate into the store (alias ca.crt) before the signed reply, and check that the reply was signed by that CA.',
  },
  {
    id: 'keytool-not-x509',
    pattern: /Input not an X\.509 certificate/,
    hint: 'The file given to keytool is not a certificate (a CSR or a key, perhaps, or an empty file). Check which file the step reads.',
  },
  {
    id: 'openssl-private-key',
    pattern: /(Could not read (CA )?private key|unable to load Private Key)/i,
    hint: 'openssl could not read the private key: the file is missing, empty, not PEM, or encrypted with another passphrase.',
  },
  {
    id: 'openssl-local-issuer',
    pattern: /unable to get local issuer certificate/,
    hint: 'The certificate was not signed by the CA given to openssl. Check that ca.crt is the CA that signed it.',
  },
  {
    id: 'openssl-ca-expired',
    pattern: /certificate has expired/,
    hint: 'A certificate in the chain has expired (at depth 1, the CA itself): a new CA must be made and every certificate reissued with it.',
  },
  {
    id: 'openssl-not-yet-valid',
    pattern: /certificate is not yet valid/,
    hint: 'A certificate in the chain starts in the future: check the clock of this machine and of the one that made it.',
  },
  {
    id: 'openssl-cannot-write',
    pattern: /Can't open "[^"]*" for writing|Could not open file or uri for output/,
    hint: 'openssl cannot write its output file: the directory is missing or not writable, or the disk is full. Check --out and its parent directory.',
  },
  {
    id: 'keytool-cannot-write',
    pattern:
      /FileNotFoundException: .*\((Permission denied|Not a directory|No such file or directory|Read-only file system)\)/,
    hint: 'keytool cannot write the store: the directory is missing or not writable. Check --out and its parent directory.',
  },
  {
    id: 'keytool-pkcs12-cipher-unsupported',
    pattern: /parseAlgParameters failed/,
    hint: 'This keytool cannot read the PKCS12 encryption of the store: JDKs before 8u301 and 11.0.12 cannot read the AES (PBES2) stores that current keytools and openssl 3 write. Use a newer JDK (--keytool), and give the brokers a Java that reads them.',
  },
  {
    id: 'keytool-pkcs12-mac-unsupported',
    pattern: /Integrity check failed: java\.security\.NoSuchAlgorithmException/,
    hint: "This keytool cannot check the PKCS12 store's integrity MAC (JDKs before 8u301 and 11.0.12 lack HmacPBESHA256). Use a newer JDK (--keytool).",
  },
  {
    id: 'keytool-missing-env',
    pattern: /Cannot find environment variable: (\S+)/,
    hint: 'A password variable was not passed to keytool. This is a bug in kafka-mtls: please report it with this output.',
  },
];

/**
 * A step that ran out of time prints nothing to match: its hint is this one.
 * keytool and openssl normally finish in seconds, so a time-out is a starved
 * machine, a tool waiting on input it will never get, or an entropy stall.
 */
export const TIMEOUT_HINT =
  'The tool did not finish in time. Check that the machine is not overloaded (a run starts one process per core), that --openssl and --keytool are the real tools and not wrappers waiting for input, then run again (--verbose shows where it stalls).';

/** The hint for the first entry whose pattern matches `output`, if any. */
export function findHint(output: string): string | undefined {
  return HINTS.find((h) => h.pattern.test(output))?.hint;
}
