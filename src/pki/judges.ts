/**
 * verify's questions to the judges, for a directory's parties: JSSE (stores and connections, in the keytool host's
 * JVM) and OpenSSL (each broker's chain against each truststore the clients use), as findings.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureOptions } from '../runner/capture.js';
import { scratchDir } from '../runner/scratch.js';
import { connectionsOf, type Party } from './connections.js';
import { judgeHandshakes } from './judge.js';
import { connectionFindings, planJudging, principalFindings, sourceFindings } from './judged.js';
import { opensslFindings, opensslVerify } from './openssl-judge.js';
import { storeType, type ReadStore } from './read.js';
import { checkRegularFile } from './read-file.js';
import type { Finding } from './rules.js';

/** JSSE's verdict on every store and connection: one JVM, the keytool host's. */
export async function jsseFindings(
  dir: string,
  parties: readonly Party[],
  keytool: string,
  principalRules: string,
  signal: AbortSignal | undefined,
): Promise<Finding[]> {
  if (parties.length === 0) return [];
  const files = [...new Set(parties.flatMap((p) => [p.keystore, p.truststore]))];
  // A FIFO or a huge file is refused before Java opens it, as readStores refuses it.
  for (const f of files) await checkRegularFile(join(dir, f), { kind: 'store', option: '[dir]', signal });
  const types = new Map(await Promise.all(files.map(async (f) => [f, await storeType(join(dir, f))] as const)));
  // Truststores compared by content: per-broker copies of one CA are one truststore to a handshake.
  const digest = new Map<string, string>();
  for (const f of new Set(parties.map((p) => p.truststore)))
    digest.set(
      f,
      await readFile(join(dir, f)).then(
        (b) => createHash('sha256').update(b).digest('hex'),
        () => f,
      ),
    );
  const sameTrust = (a: Party, b: Party) =>
    digest.get(a.truststore) === digest.get(b.truststore) &&
    a.sources[0]?.truststore?.reveal() === b.sources[0]?.truststore?.reveal();
  const request = planJudging(dir, parties, connectionsOf(parties, sameTrust), (f) => types.get(f) ?? 'PKCS12');
  const verdicts = await judgeHandshakes(request.stores, request.pairs, { keytool, cwd: dir, signal }, principalRules);
  if ('unavailable' in verdicts)
    return [
      {
        status: 'fail',
        target: '(directory)',
        check: 'handshake (JSSE)',
        message: `Java could not judge the handshakes, so nothing says Kafka will accept them: ${verdicts.unavailable}`,
      },
    ];
  return [
    ...sourceFindings(request, verdicts.stores),
    ...connectionFindings(request, verdicts.pairs),
    ...principalFindings(request, verdicts.stores, verdicts.principals),
  ];
}

/** OpenSSL's verdict on each broker's chain, against each truststore the clients use, default and strict. */
export async function opensslChainFindings(
  parties: readonly Party[],
  keystores: readonly ReadStore[],
  truststores: readonly ReadStore[],
  opts: CaptureOptions,
): Promise<Finding[]> {
  const byName = (name: string) => [...keystores, ...truststores].find((s) => (s.name ?? s.path) === name);
  const leaves = parties
    .filter((p) => p.role === 'broker')
    .map((p) => ({
      file: p.keystore,
      chain: byName(p.keystore)?.entries.find((e) => e.entryType === 'PrivateKeyEntry'),
    }))
    .map(({ file, chain }) => ({ file, chain: (chain?.certs ?? []).map((c) => c.pem).filter((x): x is string => !!x) }))
    .filter((l) => l.chain.length > 0);
  const trustFiles = [...new Set(parties.filter((p) => p.role === 'client').map((p) => p.truststore))];
  const sets = trustFiles
    .map((file) => ({ file, store: byName(file) }))
    .map(({ file, store }) => ({ file, store, pems: trustedPems(store) }))
    .filter((t) => t.pems.length > 0);
  if (leaves.length === 0 || sets.length === 0) return [];
  const { path: scratch, cleanup } = await scratchDir({ unsafeCleanup: true, prefix: 'kafka-mtls-verify-' });
  try {
    const out: Finding[] = [];
    for (const t of sets) {
      const v1 = t.store!.entries.some((e) => e.infos[0]?.version === 1);
      const plain = await opensslVerify(leaves, t, 'default', scratch, opts);
      out.push(...opensslFindings(plain, t, 'default', v1));
      // The strict profile speaks of what the default one accepts: a refused chain is not refused twice.
      const accepted = leaves.filter((l) => plain.get(l.file)?.ok);
      if (accepted.length > 0)
        out.push(...opensslFindings(await opensslVerify(accepted, t, 'strict', scratch, opts), t, 'strict', v1));
    }
    return out;
  } finally {
    await cleanup();
  }
}

function trustedPems(store: ReadStore | undefined): string[] {
  if (!store?.opened) return [];
  return store.entries
    .filter((e) => e.entryType === 'trustedCertEntry')
    .map((e) => e.certs[0]?.pem)
    .filter((p): p is string => !!p);
}
