import type { CaSpec, ExternalCa } from '../model/cluster.js';
import { CA_KEY_PASSWORD_ENV } from '../model/secret-names.js';
import type { OutputFile, Step } from '../runner/step.js';
import { createCa } from '../steps/openssl.js';

/**
 * The CA a plan signs with: made by openssl, or brought by the user
 * (--ca-cert/--ca-key, and --ca-chain for an intermediate). Both give the
 * same files to the rest of the plan: ca.crt and ca.key sign; the trust
 * anchor goes into truststores; the bundle follows each leaf in its chain.
 */

export const CHAIN_FILE = 'ca-chain.crt';
export const ROOT_FILE = 'ca-root.crt';

/** Where a layout keeps its CA: the openssl config it is made from, its key and its certificate. */
export interface CaNames {
  readonly caConfig: string;
  readonly caKey: string;
  readonly caCert: string;
}

export interface CaFiles {
  readonly steps: Step[];
  readonly outputs: OutputFile[];
  /** The root: what truststores hold and chains end at. */
  readonly anchor: string;
  /** The CA's certificate and those above it, in order: what follows a leaf in its chain. */
  readonly bundle: string;
  /** Leaf, CA, and any certificates above the CA. */
  readonly chainLength: number;
  /** Set when the CA key is encrypted: signing reads its passphrase from this variable. */
  readonly keyPasswordEnv?: string;
}

/** The CA's files in the layout's names: made from config, or brought (ca.external). */
export function caFiles(ca: CaSpec, f: CaNames, config: Step): CaFiles {
  if (!ca.external) {
    return {
      steps: [
        config,
        createCa({ config: f.caConfig, key: f.caKey, cert: f.caCert, keySpec: ca, days: ca.validityDays }),
      ],
      outputs: [
        { path: f.caConfig, private: false },
        { path: f.caKey, private: true },
        { path: f.caCert, private: false },
      ],
      anchor: f.caCert,
      bundle: f.caCert,
      chainLength: 2,
    };
  }
  return ownCaFiles(ca.external, f);
}

/** Your own CA, copied in; with a chain, the bundle that follows each leaf and the root the truststores hold. */
function ownCaFiles(ext: ExternalCa, f: CaNames): CaFiles {
  const write = (id: string, path: string, content: string, title: string): Step => ({
    id,
    role: 'ca',
    title: `Write ${path}: ${title}`,
    action: { kind: 'write', path, content },
    reads: [],
    writes: [path],
  });
  const steps: Step[] = [
    write('ca.import-cert', f.caCert, `${ext.certPem.trim()}\n`, `your CA's certificate (${ext.subject})`),
    {
      id: 'ca.import-key',
      role: 'ca',
      title: `Copy your CA's key to ${f.caKey} (0600${ext.keyEncrypted ? ', still encrypted' : ''})`,
      action: { kind: 'copy', from: ext.key, to: f.caKey },
      reads: [ext.key],
      writes: [f.caKey],
    },
  ];
  const outputs: OutputFile[] = [
    { path: f.caKey, private: true },
    { path: f.caCert, private: false },
  ];
  const keyPasswordEnv = ext.keyEncrypted ? CA_KEY_PASSWORD_ENV : undefined;
  if (ext.chainPems.length === 0)
    return { steps, outputs, anchor: f.caCert, bundle: f.caCert, chainLength: 2, keyPasswordEnv };
  steps.push(
    write(
      'ca.chain',
      CHAIN_FILE,
      [ext.certPem, ...ext.chainPems].map((p) => `${p.trim()}\n`).join(''),
      'your CA, then the certificates above it up to the root',
    ),
    write(
      'ca.root',
      ROOT_FILE,
      `${ext.chainPems[ext.chainPems.length - 1]!.trim()}\n`,
      'the root, which the truststores hold',
    ),
  );
  outputs.push({ path: CHAIN_FILE, private: false }, { path: ROOT_FILE, private: false });
  return {
    steps,
    outputs,
    anchor: ROOT_FILE,
    bundle: CHAIN_FILE,
    chainLength: 2 + ext.chainPems.length,
    keyPasswordEnv,
  };
}
