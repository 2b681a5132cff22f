/**
 * `inspect FILE...`: what a certificate, CSR, key or store holds, in one
 * readable summary per file, like `step certificate inspect`. Reads only.
 */
import { basename, dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { jsonOption, keytoolOption, opensslOption, passwordFileOption } from '../options/flags.js';
import { passwordWarning, readPassword } from '../options/password.js';
import { inspectOne, ioReason, type Inspected } from '../pki/inspect.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { readBounded } from '../pki/read-file.js';
import type { CaptureOptions } from '../runner/capture.js';
import { preflight } from '../runner/tools.js';
import type { CommandIo } from '../report/io.js';
import { formatInspected } from '../report/inspect.js';

export interface RawInspectOptions {
  passwordFile?: string;
  json?: boolean;
  openssl?: string;
  keytool?: string;
}

const HELP = `
Examples:
  kafka-mtls inspect certs/ca.crt certs/ca-request-mtls-kafka-0
  PASSWORD=... kafka-mtls inspect certs/mtls-kafka-0.keystore.jks --json

Exit codes:
  0    every file was read
  1    a file could not be read (not a known kind, or a wrong password)
  2    bad usage`;

export function inspectCommand(io: CommandIo): Command {
  return new Command('inspect')
    .description('Summarize certificates, CSRs, keys and keystores (PEM, PKCS12, JKS)')
    .argument('<file...>', 'files to inspect')
    .addOption(passwordFileOption())
    .addOption(jsonOption())
    .addOption(opensslOption())
    .addOption(keytoolOption())
    .addHelpText('after', HELP)
    .action(async (files: string[], opts: RawInspectOptions) => {
      const items = await runInspect(files, opts, { env: io.env, signal: io.signal, warn: io.warn });
      io.out(opts.json ? JSON.stringify(items, null, 2) + '\n' : formatInspected(io.c, items));
      if (items.some((i) => i.kind === 'unreadable')) io.exitWith(1);
    });
}

export async function runInspect(
  files: string[],
  raw: RawInspectOptions,
  deps: { env: NodeJS.ProcessEnv; signal?: AbortSignal; warn?: (line: string) => void },
): Promise<Inspected[]> {
  const { signal } = deps;
  const shared = await readPassword(raw.passwordFile, deps.env, signal);
  const { secret } = shared;
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);
  const out: Inspected[] = [];
  // Each file gets its answer: one that cannot be read is reported as such, and the others still are.
  for (const f of files) {
    const path = resolve(f);
    // Any kind of file may be given: the largest cap, a store's.
    const bytes = await readBounded(path, { kind: 'store', option: '<file>', signal }).catch((e: unknown) => {
      // What is not a regular file (a FIFO, a device) or is over the cap stays a usage error;
      // a missing one is an answer.
      const cause = e instanceof UsageError ? (e.cause as NodeJS.ErrnoException | undefined) : undefined;
      if (!cause?.code) throw e;
      return { file: basename(path), kind: 'unreadable' as const, reason: `cannot be read: ${ioReason(cause)}` };
    });
    const opts: CaptureOptions = { tools, secrets: { [STORE_PASSWORD_ENV]: secret }, cwd: dirname(path), signal };
    out.push(Buffer.isBuffer(bytes) ? await inspectOne(path, bytes, opts) : bytes);
  }
  // Certificates and CSRs need no password; stores and keys were opened with it.
  const opened = out.some(
    (i) => i.kind === 'store' || i.kind === 'unreadable' || (i.kind === 'private key' && i.encrypted),
  );
  const warning = opened ? passwordWarning(shared) : undefined;
  if (warning) deps.warn?.(warning);
  return out;
}
