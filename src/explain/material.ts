/**
 * What a certs directory shows, in cause codes: verify's judges (JSSE handshakes per pair, openssl verify, the
 * checks a handshake cannot show) run on it, and each refusal or failed check they report mapped to the cause it
 * is, with the file and alias it is about and the command that fixes it. Nothing is judged here: a cause is
 * shown only where a judge or verify's check said so.
 */
import type { Party } from '../pki/connections.js';
import type { Finding } from '../pki/rules.js';
import type { CauseCode, Side } from '../model/explain.js';

/** A cause the material shows. */
export interface Shown {
  readonly code: CauseCode;
  /** Paths relative to the directory, `#alias` where a store's entry is meant; the file to change first. */
  readonly files: readonly string[];
  readonly evidence: string;
  readonly fix: string;
  /** Whose material it is: the side whose certificate or store is wrong. */
  readonly side: Side;
  /** Found on the inter-broker listener only: a broker as the client. */
  readonly interBroker?: boolean;
}

export interface Material {
  readonly dir: string;
  readonly shown: readonly Shown[];
}

type Ctx = { readonly dir: string; readonly parties: readonly Party[]; readonly findings: readonly Finding[] };

const IMPORT = (dir: string, truststore: string) =>
  `keytool -importcert -noprompt -alias CARoot -file ${dir}/ca.crt -keystore ${dir}/${truststore} ` +
  '-storepass:env PASSWORD';

/** The directory's causes, each once per code, the files of every finding that shows it merged in order. */
export function materialOf(dir: string, parties: readonly Party[], findings: readonly Finding[]): Material {
  const ctx: Ctx = { dir, parties, findings };
  const all = findings.filter((f) => f.status === 'fail').flatMap((f) => causesOf(f, ctx));
  const byCode = new Map<CauseCode, Shown>();
  // Client-to-broker first: the inter-broker listener's refusals only add files.
  for (const s of [...all.filter((x) => !x.interBroker), ...all.filter((x) => x.interBroker)]) {
    const had = byCode.get(s.code);
    if (!had) byCode.set(s.code, s);
    else byCode.set(s.code, { ...had, files: [...new Set([...had.files, ...s.files])] });
  }
  return { dir, shown: [...byCode.values()] };
}

/** `file alias` (verify's target for a keystore's entry) as `file#alias`; a file alone as it is. */
function entryOf(target: string): { file: string; alias?: string; ref: string } {
  const [file, alias] = target.split(' ');
  return { file: file!, alias, ref: alias ? `${file}#${alias}` : file! };
}

function roleOf(ctx: Ctx, file: string): Side | undefined {
  const p = ctx.parties.find((x) => x.keystore === file);
  return p ? (p.role === 'broker' ? 'broker' : 'client') : undefined;
}

function aliasOf(ctx: Ctx, file: string): string {
  return ctx.parties.find((x) => x.keystore === file)?.alias ?? file;
}

/** Whether verify found the chain of a keystore stopping short of its CA (an intermediate missing). */
function chainStops(ctx: Ctx, file: string): boolean {
  return ctx.findings.some(
    (f) =>
      f.status === 'fail' && f.check === 'chain' && entryOf(f.target).file === file && /chain stops at/.test(f.message),
  );
}

function causesOf(f: Finding, ctx: Ctx): Shown[] {
  switch (f.check) {
    case 'handshake (JSSE)':
      return handshakeCauses(f, ctx);
    case 'chain (OpenSSL)':
      return opensslCauses(f, ctx);
    default:
      return ruleCauses(f, ctx);
  }
}

/** verify's own checks of each store: validity, extendedKeyUsage, SANs, chain, key, presence. */
function ruleCauses(f: Finding, ctx: Ctx): Shown[] {
  const { file, ref } = entryOf(f.target);
  const role = roleOf(ctx, file);
  const said = `verify: ${f.target}: ${f.check}: ${f.message}`;
  const dir = ctx.dir;
  if (f.check === 'key matches')
    return [
      {
        code: 'key-does-not-match-cert',
        files: [ref],
        evidence: said,
        fix: `make ${file} again from the key its certificate was signed for: kafka-mtls apply --out ${dir}`,
        side: role ?? 'broker',
      },
    ];
  if (f.check === 'present' && /keystore, listed in .* is missing/.test(f.message) && role === 'client')
    return [
      {
        code: 'client-sent-no-certificate',
        files: [file],
        evidence: said,
        fix: `kafka-mtls apply --out ${dir} makes ${file} again; configure it as the client's ssl.keystore.location`,
        side: 'client',
      },
    ];
  if (!role) return [];
  const other: Side = role === 'broker' ? 'client' : 'broker';
  if (f.check === 'validity' && !/chain\[/.test(f.target))
    return [
      {
        code: role === 'broker' ? 'server-cert-expired' : 'client-cert-expired',
        files: [ref],
        evidence: said,
        fix: `renew it: kafka-mtls apply --out ${dir} --renew-before 30 (and check the clocks if not yet valid)`,
        side: role,
      },
    ];
  if (f.check === 'extendedKeyUsage') {
    const out: Shown[] = [];
    const fix = `reissue it: kafka-mtls apply --out ${dir} (a certificate made elsewhere: with serverAuth and clientAuth)`;
    if (/serverAuth/.test(f.message))
      out.push({ code: 'server-eku-lacks-serverauth', files: [ref], evidence: said, fix, side: 'broker' });
    if (/clientAuth/.test(f.message))
      out.push({
        code: 'client-eku-lacks-clientauth',
        files: [ref],
        evidence: said,
        fix,
        side: role,
        ...(role === 'broker' ? { interBroker: true } : {}),
      });
    return out;
  }
  if (f.check === 'SANs') {
    const missing = /^missing (.*?)(?: \(|: )/.exec(f.message)?.[1]?.split(', ') ?? [];
    const sans = missing.map((h) => `--san ${/^[0-9.]+$|:/.test(h) ? 'IP' : 'DNS'}:${h}`).join(' ');
    return [
      {
        code: 'name-not-in-san',
        files: [ref],
        evidence: said,
        fix: `reissue it with the name the client dials: kafka-mtls apply --out ${dir} ${sans || '--san DNS:NAME'}`,
        side: 'broker',
      },
    ];
  }
  if (f.check === 'chain') {
    if (/chain stops at/.test(f.message))
      return [
        {
          code: 'chain-incomplete',
          files: [ref],
          evidence: said,
          fix:
            `put the intermediate CA in ${file} after the leaf (kafka-mtls apply --out ${dir} --ca-chain chain.pem ` +
            'writes the whole chain), or import it into the truststores of its peers',
          side: role,
        },
      ];
    if (/which no truststore holds|not signed by the next/.test(f.message))
      return [
        {
          code: role === 'broker' ? 'server-ca-not-trusted' : 'client-ca-not-trusted',
          files: [ref],
          evidence: said,
          fix:
            `reissue ${file} from the cluster's CA: kafka-mtls apply --out ${dir} (plan shows "signed by another ` +
            `CA"), or import its CA into the ${other}s' truststore with keytool -importcert … -storepass:env PASSWORD`,
          side: role,
        },
      ];
  }
  return [];
}

const JSSE_SIDE = /: the (client|broker) \(([^,]+), trusting ([^)]+)\) refused (\S+): (.*)$/s;

/** A handshake JSSE refused: which side refused which certificate, by JSSE's own words. */
function handshakeCauses(f: Finding, ctx: Ctx): Shown[] {
  const m = JSSE_SIDE.exec(f.message);
  if (!m) return [];
  const [, who, , truststore, refused, words] = m as unknown as [string, string, string, string, string, string];
  const interBroker = f.message.startsWith('inter-broker');
  const [clientKs, serverKs] = f.target.split(' -> ') as [string, string];
  const ref = (file: string) => `${file}#${aliasOf(ctx, file)}`;
  const evidence = `JSSE (verify's handshake of ${f.target}): the ${who} refused ${refused}: ${words}`;
  const dir = ctx.dir;
  const base = { evidence, ...(interBroker ? { interBroker } : {}) };
  if (who === 'broker') {
    const client = ref(clientKs);
    if (/Extended key usage|KeyUsage/.test(words))
      return [{ ...base, code: 'client-eku-lacks-clientauth', files: [client], side: 'client', fix: reissue(dir) }];
    if (/NotAfter|NotBefore|expired|not yet valid|validity check/.test(words))
      return [{ ...base, code: 'client-cert-expired', files: [client], side: 'client', fix: renew(dir) }];
    if (/signature|decrypt_error|CertificateVerify/i.test(words))
      return [{ ...base, code: 'key-does-not-match-cert', files: [client], side: 'client', fix: reissue(dir) }];
    if (
      /Empty client certificate chain|null cert chain|certificate_required|bad_certificate|PKIX|certification path|unknown_ca|certificate_unknown|chain/i.test(
        words,
      )
    )
      return chainStops(ctx, clientKs)
        ? [{ ...base, code: 'chain-incomplete', files: [client], side: 'client', fix: chainFix(dir, clientKs) }]
        : [
            {
              ...base,
              code: 'client-ca-not-trusted',
              files: [client, truststore],
              side: 'client',
              fix:
                `reissue ${clientKs} from the cluster's CA: kafka-mtls apply --out ${dir}; or, to trust its CA, ` +
                IMPORT(dir, truststore).replace('ca.crt', 'ITS-CA.pem'),
            },
          ];
    return [];
  }
  const server = ref(serverKs);
  if (/No subject alternative|No name matching|subject alternative names/i.test(words)) {
    const host = /matching (?:IP address |DNS name )?(\S+?)\.? found/.exec(words)?.[1];
    const san = host ? `--san ${/^[0-9.]+$|:/.test(host) ? 'IP' : 'DNS'}:${host}` : '--san DNS:NAME';
    return [
      {
        ...base,
        code: 'name-not-in-san',
        files: [server],
        side: 'broker',
        fix: `reissue it with the name the client dials: kafka-mtls apply --out ${dir} ${san}`,
      },
    ];
  }
  if (/Extended key usage|KeyUsage/.test(words))
    return [{ ...base, code: 'server-eku-lacks-serverauth', files: [server], side: 'broker', fix: reissue(dir) }];
  if (/NotAfter|NotBefore|expired|not yet valid|validity check/.test(words))
    return [{ ...base, code: 'server-cert-expired', files: [server], side: 'broker', fix: renew(dir) }];
  if (/signature|decrypt_error|CertificateVerify/i.test(words))
    return [{ ...base, code: 'key-does-not-match-cert', files: [server], side: 'broker', fix: reissue(dir) }];
  if (/PKIX|certification path|unknown_ca|certificate_unknown|chain/i.test(words))
    return chainStops(ctx, serverKs)
      ? [{ ...base, code: 'chain-incomplete', files: [server], side: 'broker', fix: chainFix(dir, serverKs) }]
      : [
          {
            ...base,
            code: 'server-ca-not-trusted',
            files: [truststore, server],
            side: 'broker',
            fix:
              `import the cluster's CA into ${truststore}: ${IMPORT(dir, truststore)}; if ${serverKs} is from ` +
              `another CA, reissue it (kafka-mtls apply --out ${dir}) or move to one CA (kafka-mtls rotate-ca)`,
          },
        ];
  return [];
}

/** openssl verify's refusal of a broker's chain, as the OpenSSL clients trusting a truststore will refuse it. */
function opensslCauses(f: Finding, ctx: Ctx): Shown[] {
  const m = /trusting (\S+) \(librdkafka.*?\) refuse it: (.*)$/s.exec(f.message);
  if (!m) return [];
  const [, truststore, words] = m as unknown as [string, string, string];
  const server = `${f.target}#${aliasOf(ctx, f.target)}`;
  const evidence = `openssl verify (as librdkafka, Python and Node judge) of ${f.target} against ${truststore}: ${words}`;
  const dir = ctx.dir;
  if (/expired|not yet valid/.test(words))
    return [{ code: 'server-cert-expired', files: [server], evidence, side: 'broker', fix: renew(dir) }];
  if (/purpose/.test(words))
    return [{ code: 'server-eku-lacks-serverauth', files: [server], evidence, side: 'broker', fix: reissue(dir) }];
  if (/issuer|self[- ]signed|first certificate|untrusted/.test(words))
    return chainStops(ctx, f.target)
      ? [{ code: 'chain-incomplete', files: [server], evidence, side: 'broker', fix: chainFix(dir, f.target) }]
      : [
          {
            code: 'server-ca-not-trusted',
            files: [truststore, server],
            evidence,
            side: 'broker',
            fix: `import the cluster's CA into ${truststore}: ${IMPORT(dir, truststore)} (librdkafka: ssl.ca.location=${dir}/ca.crt)`,
          },
        ];
  return [];
}

const reissue = (dir: string) => `reissue it: kafka-mtls apply --out ${dir}`;
const renew = (dir: string) =>
  `renew it: kafka-mtls apply --out ${dir} --renew-before 30 (check the clocks if not yet valid)`;
const chainFix = (dir: string, file: string) =>
  `put the intermediate CA in ${file} after the leaf (kafka-mtls apply --out ${dir} --ca-chain chain.pem writes ` +
  'the whole chain), or import it into the truststores of its peers';
