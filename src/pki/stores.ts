/**
 * What a key store holds, as `keytool -list` or `openssl pkcs12 -info` report it, and the check that a store holds
 * exactly what the plan meant it to.
 */
import { pemBlocks } from './x509.js';

export type EntryType = 'PrivateKeyEntry' | 'trustedCertEntry' | 'SecretKeyEntry';

export interface StoreCert {
  readonly owner: string;
  readonly issuer: string;
  /** The certificate itself, where the listing shows it (openssl pkcs12, keytool -rfc). */
  readonly pem?: string;
}

export interface StoreEntry {
  readonly alias: string;
  readonly entryType: EntryType;
  /** The certificates: the chain of a key entry, leaf first, or the one trusted certificate. */
  readonly certs: readonly StoreCert[];
}

export interface StoreListing {
  readonly type: string;
  readonly entries: readonly StoreEntry[];
}

/**
 * Parses `keytool -list`, with -v (each certificate's Owner and Issuer) or with -rfc (each certificate as PEM), in
 * English: keytool is always started with -J-Duser.language=en. Undefined when it printed no listing.
 */
export function parseKeytoolList(text: string): StoreListing | undefined {
  const type = /^Keystore type: (\S+)/m.exec(text)?.[1];
  if (!type) return undefined;
  const blocks = text.split(/^Alias name: /m).slice(1);
  const entries = blocks.map((block): StoreEntry => {
    const alias = block.slice(0, block.indexOf('\n')).trim();
    const entryType = (/^Entry type: (\S+)/m.exec(block)?.[1] ?? 'unknown') as EntryType;
    const pems = pemBlocks(block);
    if (pems.length > 0) return { alias, entryType, certs: pems.map((pem) => ({ owner: '', issuer: '', pem })) };
    const owners = [...block.matchAll(/^Owner: (.*)$/gm)].map((m) => m[1]!.trim());
    const issuers = [...block.matchAll(/^Issuer: (.*)$/gm)].map((m) => m[1]!.trim());
    return { alias, entryType, certs: owners.map((owner, i) => ({ owner, issuer: issuers[i] ?? '' })) };
  });
  return { type, entries };
}

/**
 * Parses `openssl pkcs12 -info -nokeys` of a PKCS12 store into what Java
 * would see: a key entry for each certificate with a localKeyID, its chain
 * built by issuer name as Java's PKCS12KeyStore does, and a trusted entry for
 * each certificate with Oracle's trusted-key-usage attribute. Java lower-cases aliases.
 */
export function parseOpensslPkcs12(
  stdout: string,
  stderr: string,
): (StoreListing & { readonly keyBags: number }) | undefined {
  if (!/^MAC: /m.test(stderr)) return undefined;
  const keyBags = (stderr.match(/^(Shrouded )?Keybag/gm) ?? []).length;
  const bags = stdout
    // "Bag Attributes" alone, or "Bag Attributes: <No Attributes>" for a CA added by openssl -certfile.
    .split(/^Bag Attributes.*$/m)
    .slice(1)
    .map((b) => ({
      alias: (/^\s+friendlyName: (.*)$/m.exec(b)?.[1] ?? '').trim().toLowerCase(),
      keyed: /^\s+localKeyID: /m.test(b),
      trusted: /^\s+2\.16\.840\.1\.113894\.746875\.1\.1: /m.test(b),
      owner: (/^subject=(.*)$/m.exec(b)?.[1] ?? '').trim(),
      issuer: (/^issuer=(.*)$/m.exec(b)?.[1] ?? '').trim(),
      pem: pemBlocks(b)[0],
    }));
  const chainOf = (leaf: StoreCert): StoreCert[] => {
    const chain = [leaf];
    for (let cur = leaf; cur.owner !== cur.issuer && chain.length < 10;) {
      const next = bags.find((b) => b.owner === cur.issuer);
      if (!next) break;
      chain.push(next);
      cur = next;
    }
    return chain;
  };
  const entries: StoreEntry[] = [
    ...bags
      .filter((b) => b.keyed)
      .map((b) => ({ alias: b.alias, entryType: 'PrivateKeyEntry' as const, certs: chainOf(b) })),
    ...bags
      .filter((b) => b.trusted && !b.keyed)
      .map((b) => ({ alias: b.alias, entryType: 'trustedCertEntry' as const, certs: [b] })),
  ];
  return { type: 'PKCS12', entries, keyBags };
}

export interface ExpectedEntry {
  readonly alias: string;
  readonly entryType: EntryType;
  /** For a key entry: the chain's length (leaf + CA = 2). */
  readonly chainLength?: number;
  /** The first certificate's subject and issuer, in RFC 2253 form (CN first). */
  readonly owner?: string;
  readonly issuer?: string;
}

/** keytool prints "CN=a, O=b", openssl's RFC 2253 option "CN=a,O=b": compared without the blanks and case. */
const sameName = (a: string, b: string) =>
  a.replace(/,\s+/g, ',').toLowerCase() === b.replace(/,\s+/g, ',').toLowerCase();

export interface ExpectedStore {
  /** 'PKCS12' or 'JKS'; undefined accepts what the JDK's keytool makes by default. */
  readonly type?: string;
  readonly entries: readonly ExpectedEntry[];
}

/** Undefined when the listing matches, else one sentence naming the first difference. */
export function compareStore(listing: StoreListing | undefined, want: ExpectedStore): string | undefined {
  if (!listing) return 'keytool -list printed no store listing';
  if (want.type && listing.type.toUpperCase() !== want.type.toUpperCase()) {
    return `the store is ${listing.type}, expected ${want.type}`;
  }
  const aliases = listing.entries.map((e) => e.alias).sort();
  const wanted = want.entries.map((e) => e.alias.toLowerCase()).sort();
  if (aliases.join(',') !== wanted.join(',')) {
    return `the store holds [${aliases.join(', ')}], expected [${wanted.join(', ')}]`;
  }
  for (const w of want.entries) {
    const got = listing.entries.find((e) => e.alias === w.alias.toLowerCase())!;
    if (got.entryType !== w.entryType) return `entry ${w.alias} is a ${got.entryType}, expected a ${w.entryType}`;
    if (w.chainLength !== undefined && got.certs.length !== w.chainLength) {
      return `entry ${w.alias} has a chain of ${got.certs.length} certificate(s), expected ${w.chainLength}`;
    }
    const first = got.certs[0];
    if (w.owner !== undefined && !(first && sameName(first.owner, w.owner)))
      return `entry ${w.alias}'s owner is ${first?.owner ?? 'missing'}, expected ${w.owner}`;
    if (w.issuer !== undefined && !(first && sameName(first.issuer, w.issuer)))
      return `entry ${w.alias}'s issuer is ${first?.issuer ?? 'missing'}, expected ${w.issuer}`;
    const top = got.certs[got.certs.length - 1];
    if (w.entryType === 'PrivateKeyEntry' && top && top.owner !== top.issuer) {
      return `entry ${w.alias}'s chain ends at ${top.owner}, which is not a self-signed CA`;
    }
  }
  return undefined;
}

export function describeListing(listing: StoreListing): string {
  const parts = listing.entries.map((e) =>
    e.entryType === 'PrivateKeyEntry' ? `${e.alias} (key, chain ${e.certs.length})` : `${e.alias} (trusted)`,
  );
  return `${listing.type}: ${parts.join(', ')}`;
}
