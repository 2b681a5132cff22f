/**
 * `expiry [DIR|FILE...]`: when each certificate a certs directory holds expires, for cron, CI and Prometheus. Every
 * PEM file, DER certificate and store (opened through the passwords its directory's configuration gives, as verify
 * opens them), in both layouts; a state under --warn and --critical each; an exit code a script can act on.
 */
import { sourceLabel } from '../model/secret-names.js';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { keytoolOption, opensslOption, passwordFileOption } from '../options/flags.js';
import { DEFAULT_CRITICAL, DEFAULT_WARN, parseExpiryOptions, type RawExpiryOptions } from '../options/expiry.js';
import { passwordWarning, readPassword } from '../options/password.js';
import { readState } from '../output/state-file.js';
import { writeTextfile, TEXTFILE_NAME } from '../output/textfile.js';
import { readInputs, type ExpiryInput, type FoundCert, type ReadProblem } from '../pki/expiry.js';
import { buildReport, type ExpiryReport, type RoleOf } from '../pki/expiry-state.js';
import type { State } from '../model/state.js';
import type { Exec } from '../runner/exec.js';
import { preflight } from '../runner/tools.js';
import type { CommandIo } from '../report/io.js';
import { expiryJson, formatExpiry, formatPrometheus } from '../report/expiry.js';

const HELP = `
Thresholds measure what is left, as the x509-certificate-exporter's alerts do: 28d warns once a certificate has
fewer than 28 days left (exactly 28 is fine); 34% warns once less than 34% of its lifetime (notBefore to notAfter)
is left, that is once two thirds have passed. A certificate past --critical, expired or not yet valid is critical.

Examples:
  kafka-mtls expiry                                  # ./certs, stores opened as verify opens them
  kafka-mtls expiry /etc/kafka/secrets --warn 45d --critical 20d
  kafka-mtls expiry certs --warn 34% --critical 15% --json
  kafka-mtls expiry certs --textfile /var/lib/node_exporter/textfile_collector   # writes ${TEXTFILE_NAME}

Exit codes (the first that applies):
  2    bad usage: nothing was read
  5    a certificate read is critical, expired or not yet valid
  4    something could not be read (a store no password opens, a damaged file, a FIFO, a dangling symlink, a
       directory with no certificate), or --textfile could not be written
  1    a certificate read is within --warn
  0    every certificate was read, and all are fine`;

export function expiryCommand(io: CommandIo): Command {
  return new Command('expiry')
    .description(
      'When each certificate expires: every store (through its passwords), PEM file and CA of certs directories ' +
        'or the files named, with a verdict for cron, CI and Prometheus',
    )
    .argument('[path...]', 'certs directories (both layouts) or files (default: certs)')
    .option(
      '--warn <when>',
      `warn when less than this is left: whole days (28d) or a share of the lifetime (34%)`,
      DEFAULT_WARN,
    )
    .option('--critical <when>', 'critical when less than this is left, as --warn', DEFAULT_CRITICAL)
    .addOption(new Option('--format <format>', 'text, json or prometheus (the text exposition format)'))
    .option('--json', 'the same as --format json: one record per certificate, and the read errors')
    .option(
      '--textfile <dir>',
      `write the prometheus format to <dir>/${TEXTFILE_NAME} (atomically, 0644), for node_exporter's textfile collector`,
    )
    .addOption(passwordFileOption())
    .addOption(opensslOption())
    .addOption(keytoolOption())
    .addHelpText('after', HELP)
    .action(async (paths: string[], opts: RawExpiryOptions) => {
      const params = await parseExpiryOptions(opts);
      io.jsonFailures(params.format === 'json');
      const report = await runExpiry(paths, opts, { env: io.env, signal: io.signal, warn: io.warn });
      if (params.format === 'prometheus') {
        // Stdout carries the metrics: the read errors go to stderr too, for cron's mail.
        for (const e of report.errors) io.warn(`${e.file}: ${e.reason}`);
        const text = formatPrometheus(report);
        if (params.textfile) await writeTextfile(params.textfile, text, report.exitCode === 5 ? 5 : 4);
        else io.out(text);
      } else if (params.format === 'json') io.out(JSON.stringify(expiryJson(report), null, 2) + '\n');
      else io.out(formatExpiry(io.c, report));
      if (report.exitCode !== 0) io.exitWith(report.exitCode);
    });
}

export interface ExpiryDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly exec?: Exec;
  readonly now?: Date;
  readonly warn?: (line: string) => void;
}

/** Reads the paths (./certs by default) and judges each certificate; options are checked first (exit 2). */
export async function runExpiry(paths: string[], raw: RawExpiryOptions, deps: ExpiryDeps): Promise<ExpiryReport> {
  const params = await parseExpiryOptions(raw);
  const shared = await readPassword(raw.passwordFile, deps.env, deps.signal);
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);
  const inputs: ExpiryInput[] = (paths.length > 0 ? paths : ['certs']).map((arg) => ({ arg, path: resolve(arg) }));
  const { roleOf, errors: stateErrors } = await rolesOf(inputs, deps.signal);
  const read = await readInputs(inputs, {
    shared: shared.secret,
    sharedFrom:
      shared.source.kind === 'default'
        ? "the script's default password (PASSWORD is not set)"
        : sourceLabel(shared.source),
    tools,
    exec: deps.exec,
    signal: deps.signal,
  });
  // The default or a weak password is named, once, when a store opened with it (as inspect does).
  const warning = read.usedShared ? passwordWarning(shared) : undefined;
  if (warning) deps.warn?.(warning);
  return buildReport(
    { certs: read.certs, errors: [...stateErrors, ...read.errors] },
    { now: deps.now ?? new Date(), warn: params.warn, critical: params.critical, roleOf },
  );
}

/**
 * Who each certificate belongs to, where a directory's kafka-mtls.json says: by fingerprint, else by a key entry's
 * alias. A state file that fails its checks is a read error here (the certificates are still read): expiry watches,
 * it does not refuse.
 */
async function rolesOf(
  inputs: readonly ExpiryInput[],
  signal: AbortSignal | undefined,
): Promise<{ roleOf: RoleOf; errors: ReadProblem[] }> {
  const states = new Map<string, State>();
  const errors: ReadProblem[] = [];
  for (const input of inputs) {
    const st = await stat(input.path).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    try {
      const state = await readState(input.path, signal);
      if (state) states.set(input.arg, state);
    } catch (e) {
      errors.push({
        file: `${input.arg}/kafka-mtls.json`,
        path: resolve(input.path, 'kafka-mtls.json'),
        reason: (e as Error).message,
      });
    }
  }
  const roleOf: RoleOf = (found: FoundCert) => {
    const state = states.get(found.root);
    if (!state) return undefined;
    const sha = found.cert.fingerprint256.toUpperCase();
    const byCert = Object.entries(state.certs).find(([, c]) => c.sha256.toUpperCase() === sha)?.[0];
    const alias = byCert ?? (found.index === 0 ? found.alias : undefined);
    return state.identities.find((i) => i.alias.toLowerCase() === alias?.toLowerCase())?.role;
  };
  return { roleOf, errors };
}
