import { randomBytes } from 'node:crypto';
import type { CaSpec, Cluster, Identity } from '../model/cluster.js';
import { DEFAULT_DEPLOYMENT, type Deployment } from '../model/deployment.js';
import type { Emit } from '../model/layouts.js';
import { SHARED_PASSWORD, type StorePasswords } from '../model/passwords.js';
import type { ExpectedStore } from '../pki/stores.js';
import { purposeOf, type OutputFile, type Plan, type Step, type StepPurpose } from '../runner/step.js';
import { checkStore } from '../steps/keytool.js';
import { checkCa, checkPkcs12Store, createLeafKey, createLeafRequest, signLeaf, verifyLeaf } from '../steps/openssl.js';
import { caFiles, type CaFiles, type CaNames } from './ca.js';
import { digestFor } from '../model/keys.js';
import { credsSteps, emitSteps, type IdentityFiles, type LayoutView } from './emits.js';

/**
 * One plan builder for every layout: the CA, then each identity through the same pipeline (key and request,
 * signature, verification, PKCS12 bundle, keystore, check), then the outputs (--emit). A layout (plans/dropin.ts,
 * plans/confluent.ts) gives its names, its openssl configs and how its stores are made.
 */

/** Holds unencrypted leaf keys and intermediate bundles; removed before the output is swapped in. */
export const SCRATCH = '.build';

export interface PlanOptions {
  readonly serial?: () => string;
  readonly emit?: readonly Emit[];
  /** Where the output will live once swapped in: generated settings name files by absolute path. */
  readonly outDir?: string;
  readonly deployment?: Deployment;
  /** Which variable holds which store's password (default: one password for all). */
  readonly passwords?: StorePasswords;
  /**
   * The CA is the X.509 v1 CA a directory was taken over with (mtls-kafka.sh's): it signs on, since every client
   * trusts it. Its own check (a v3 CA) is not made, and leaves are verified without -x509_strict, which refuses any
   * v1 CA; verify's strict-clients finding warns about it instead.
   */
  readonly v1Ca?: boolean;
  /**
   * The CA certificates clients are to trust, as files, when not the CA alone: both CAs while rotate-ca runs
   * (plans/rotate-ca.ts), in the order the truststores and ca.pem hold them.
   */
  readonly trusted?: readonly string[];
}

/** One identity's files through the pipeline, scratch ones included, as its layout names them. */
export interface PipelineFiles extends IdentityFiles {
  /** The openssl config the request is made from. */
  readonly config: string;
  /** The config holding the certificate's extensions, and its section when it is not the file's default. */
  readonly ext: string;
  readonly extensions?: string;
  readonly csr: string;
  /** The key and certificate bundled for keytool. */
  readonly p12: string;
}

/** What every step of a layout may need once the CA is planned. */
export interface PipelineContext {
  readonly cluster: Cluster;
  readonly passwords: StorePasswords;
  readonly ca: CaFiles;
  readonly v1Ca: boolean;
}

/** What a layout decides: its names, its openssl configs, and how its stores are made. */
export interface LayoutRecipe {
  readonly caNames: CaNames;
  /** The CA's openssl config (when kafka-mtls makes the CA). */
  caConfig(ca: CaSpec): string;
  files(who: Identity): PipelineFiles;
  /** The steps writing the openssl configs an identity's request and signature read. */
  configs(who: Identity): Step[];
  /** true: every identity's configs before the first request (mtls-kafka.sh's order); false: each with its own. */
  readonly configsFirst: boolean;
  /** Between the CA check and the first signature: the truststore, and the bases keystores start from. */
  trust(c: PipelineContext): Step[];
  /** The key and certificate bundled for keytool. */
  bundle(who: Identity, f: PipelineFiles, c: PipelineContext): Step;
  /** The keystore made from the bundle and checked, and whatever else the identity's directory holds. */
  keystore(who: Identity, f: PipelineFiles, c: PipelineContext): Step[];
  /** After every identity. */
  finish(c: PipelineContext): Step[];
  /** The layout's files, in the order a run lists them (after the CA's). */
  outputs(identities: readonly Identity[]): OutputFile[];
  /** The stores' type as Kafka's ssl.*.type names it; undefined when left to the JVM's default. */
  storeType(cluster: Cluster): LayoutView['storeType'];
  /** Every identity's cp-kafka credentials files are written by the pipeline, whatever is emitted. */
  readonly writesCreds: boolean;
}

/** A random positive serial of 127 bits (RFC 5280 allows up to 20 octets; CAs should use at least 64 random bits). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and never a leading zero octet
  return b.toString('hex');
}

/** [alt_names] lines numbered per kind, as the script writes them: DNS.1, DNS.2, …, IP.1, … */
export function altNameLines(who: Identity): Array<[string, string]> {
  const counts = { DNS: 0, IP: 0 };
  return who.sans.map((san) => [`${san.kind}.${++counts[san.kind]}`, san.value]);
}

export function writeStep(id: string, purpose: StepPurpose, path: string, content: string): Step {
  const action = { kind: 'write', path, content } as const;
  return { id, ...purposeOf(purpose), title: `Write ${path}`, action, reads: [], writes: [path] };
}

export function buildLayoutPlan(cluster: Cluster, recipe: LayoutRecipe, opts: PlanOptions = {}): Plan {
  const serial = opts.serial ?? randomSerialHex;
  const passwords = opts.passwords ?? SHARED_PASSWORD;
  const config = writeStep('ca.config', { role: 'ca' }, recipe.caNames.caConfig, recipe.caConfig(cluster.ca));
  const v1Ca = opts.v1Ca === true;
  const c: PipelineContext = { cluster, passwords, ca: caFiles(cluster.ca, recipe.caNames, config), v1Ca };
  const steps: Step[] = [
    ...c.ca.steps,
    ...requestSteps(cluster.identities, recipe),
    ...(v1Ca ? [] : [checkCa(recipe.caNames.caCert)]),
    ...recipe.trust(c),
    ...cluster.identities.flatMap((who) => identitySteps(who, recipe, c, serial)),
    ...recipe.finish(c),
  ];
  const view: LayoutView = {
    caCert: c.ca.anchor,
    chain: [c.ca.bundle],
    trusted: opts.trusted ?? [c.ca.anchor],
    storeType: recipe.storeType(cluster),
    files: (who) => recipe.files(who),
    credsWritten: recipe.writesCreds,
  };
  const extra = emitSteps(cluster, view, opts.emit ?? [], {
    outDir: opts.outDir ?? '.',
    deployment: opts.deployment ?? DEFAULT_DEPLOYMENT,
    passwords,
  });
  return {
    steps: [...steps, ...extra.steps],
    outputs: [...c.ca.outputs, ...recipe.outputs(cluster.identities), ...extra.outputs],
    scratch: [SCRATCH],
    usage: extra.usage,
    secretEnv: c.ca.keyPasswordEnv ? [c.ca.keyPasswordEnv] : [],
  };
}

/**
 * Up to this many RSA leaves, openssl makes each key with its request (`req -newkey`); above it, every leaf's key is
 * a step of its own that the shared JVM runs. Once warm, the JDK's generator takes about half the CPU time of
 * OpenSSL 3.0's, which runs 64 Miller-Rabin rounds a prime; but a JVM's first RSA-2048 key took 0.36 s against
 * openssl's 0.18, and a few keys are made on one core while the CA key is made on the other anyway. Side by side,
 * 2026-12-08: at 24 brokers, every key from the JVM 4.60 s and 8.3 s of CPU (medians of 6) against 5.09 s and
 * 9.6 s with the first four from openssl, and 5.32 s with every key from openssl (bench.mjs, 5 runs); at 3 brokers,
 * every key from the JVM left 0.73 s after the CA key against 0.56 (medians of 12), so there openssl makes them.
 */
export const OPENSSL_LEAF_KEYS_UP_TO = 4;

/** Each identity's openssl configs, and its key and certificate signing request. */
function requestSteps(identities: readonly Identity[], recipe: LayoutRecipe): Step[] {
  const inJvm = identities.filter((who) => !who.curve).length > OPENSSL_LEAF_KEYS_UP_TO;
  const request = (who: Identity): Step[] => {
    const f = recipe.files(who);
    const spec = { id: who.id, alias: who.alias, key: f.key, keySpec: who };
    // An EC key (openssl makes one in 4 ms) is made by its request, one process.
    const key = inJvm && !who.curve ? [createLeafKey(spec)] : [];
    return [...key, createLeafRequest({ ...spec, config: f.config, csr: f.csr, keyMade: key.length > 0 })];
  };
  return recipe.configsFirst
    ? [...identities.flatMap((who) => recipe.configs(who)), ...identities.flatMap(request)]
    : identities.flatMap((who) => [...recipe.configs(who), ...request(who)]);
}

/** The identity's certificate signed and verified, bundled with its key, put in its keystore; its credentials files. */
function identitySteps(who: Identity, recipe: LayoutRecipe, c: PipelineContext, serial: () => string): Step[] {
  const f = recipe.files(who);
  return [
    signLeaf({
      id: who.id,
      alias: who.alias,
      csr: f.csr,
      ext: f.ext,
      extensions: f.extensions,
      caCert: recipe.caNames.caCert,
      caKey: recipe.caNames.caKey,
      out: f.cert,
      days: who.validityDays,
      serialHex: serial(),
      caKeyPasswordEnv: c.ca.keyPasswordEnv,
      // Your own CA signs as it did (sha256): its key type is its own.
      digest: c.cluster.ca.external ? undefined : digestFor(c.cluster.ca),
    }),
    verifyLeaf({
      id: who.id,
      alias: who.alias,
      caCert: c.ca.anchor,
      untrusted: c.ca.bundle !== c.ca.anchor ? c.ca.bundle : undefined,
      cert: f.cert,
      purpose: who.role === 'broker' ? 'sslserver' : 'sslclient',
      strict: !c.v1Ca,
    }),
    recipe.bundle(who, f, c),
    ...recipe.keystore(who, f, c),
    ...(recipe.writesCreds ? credsSteps(who, f.creds, c.passwords) : []),
  ];
}

/**
 * The last check of a store. A PKCS12 store is read by openssl, in
 * milliseconds; a JKS store (or one whose type is left to keytool) needs
 * `keytool -list`, one more keytool run.
 */
export function storeCheck(
  id: string,
  purpose: StepPurpose,
  store: string,
  type: Cluster['storeType'],
  passwordEnv: string,
  entries: ExpectedStore['entries'],
): Step {
  if (type === 'pkcs12')
    return checkPkcs12Store({ id, ...purpose, store, passwordEnv, expect: { type: 'PKCS12', entries } });
  return checkStore({
    id,
    ...purpose,
    store,
    storeType: type,
    passwordEnv,
    expect: { type: type === 'jks' ? 'JKS' : undefined, entries },
  });
}
