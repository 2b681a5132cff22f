/**
 * Kafka's PEM stores (ssl.keystore.type=PEM, Kafka 2.7+, KIP-651): the key in ssl.keystore.location's file or in
 * ssl.keystore.key. Kafka reads it as PKCS#8 only (DefaultSslEngineFactory's PemStore: "-----BEGIN PRIVATE KEY-----"
 * or "-----BEGIN ENCRYPTED PRIVATE KEY-----", decoded as a PKCS8EncodedKeySpec); a SEC1 key (BEGIN EC PRIVATE KEY,
 * as `openssl ecparam -genkey` writes it) or a PKCS#1 one (BEGIN RSA PRIVATE KEY) leaves the broker without a key.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { parseProperties } from './connections.js';
import { readBoundedText } from './read-file.js';
import type { Finding } from './rules.js';

const LEGACY = /-----BEGIN (EC|RSA) PRIVATE KEY-----/;

/** A finding for each properties file whose PEM keystore holds a key Kafka cannot read; none for the others. */
export async function pemStoreFindings(
  dir: string,
  files: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const file of files.filter((f) => f.endsWith('.properties'))) {
    const props = parseProperties(
      await readBoundedText(join(dir, file), { kind: 'password', option: '[dir]', signal }),
    );
    if (props.get('ssl.keystore.type')?.trim().toUpperCase() !== 'PEM') continue;
    const inline = props.get('ssl.keystore.key');
    const location = props.get('ssl.keystore.location');
    const found = inline === undefined && location !== undefined ? locate(dir, file, location) : undefined;
    const where = inline !== undefined ? 'ssl.keystore.key' : found;
    const text = inline ?? (found ? await readBoundedText(found, { kind: 'pem', option: '[dir]', signal }) : undefined);
    const m = text === undefined ? null : LEGACY.exec(text);
    if (!m || !where) continue;
    const kind = m[1] === 'EC' ? 'a SEC1 EC key (BEGIN EC PRIVATE KEY)' : 'a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY)';
    const convert = found ? `openssl pkcs8 -topk8 -nocrypt -in ${found} -out ${found}.pk8` : 'openssl pkcs8 -topk8';
    out.push({
      status: 'fail',
      target: file,
      check: 'PEM keystore',
      message:
        `ssl.keystore.type=PEM, and ${where} holds ${kind}: Kafka reads PEM keys as PKCS#8 only ` +
        `(BEGIN PRIVATE KEY, or BEGIN ENCRYPTED PRIVATE KEY with ssl.key.password); convert it (${convert})`,
    });
  }
  return out;
}

/** The keystore's path as the broker sees it, else the file of that name beside the properties file. */
function locate(dir: string, file: string, location: string): string | undefined {
  const beside = join(dir, dirname(file), basename(location));
  if (isAbsolute(location) && existsSync(location)) return location;
  if (!isAbsolute(location) && existsSync(join(dir, location))) return join(dir, location);
  return existsSync(beside) ? beside : undefined;
}
