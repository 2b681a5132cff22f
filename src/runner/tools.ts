import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ToolMissingError, ToolVersionError } from '../errors.js';
import { execProcess, type Exec } from './exec.js';
import type { Tool } from './step.js';

const INSTALL_HINT: Record<Tool, string> = {
  openssl: 'install openssl (Debian: apt-get install openssl), or pass --openssl PATH',
  keytool:
    'install a JDK, which ships keytool (Debian: apt-get install openjdk-17-jdk-headless), or pass --keytool PATH',
};

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `command` would be found: itself when it names a path, else the first match on PATH. */
export async function locate(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (command.includes('/')) return (await isExecutable(command)) ? command : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Checks every tool a plan needs before any step runs, so that a missing one is named up front, and that
 * openssl is a version whose options and output the steps are written for.
 */
export async function preflight(
  tools: Readonly<Record<Tool, string>>,
  needed: Iterable<Tool>,
  env: NodeJS.ProcessEnv = process.env,
  exec: Exec = execProcess,
): Promise<void> {
  const wanted = new Set(needed);
  for (const tool of wanted) {
    if (!(await locate(tools[tool], env))) {
      const where = tools[tool].includes('/')
        ? `${tools[tool]} is not an executable file`
        : `${tools[tool]} is not on PATH`;
      throw new ToolMissingError(tool, where, INSTALL_HINT[tool]);
    }
  }
  if (wanted.has('openssl')) await checkOpensslVersion(tools.openssl, exec);
}

const OPENSSL_NEEDED = 'OpenSSL 1.1.1 or 3.x';

/**
 * What `openssl version` says about support: OpenSSL 1.1.1 and 3.x (and later) are supported; LibreSSL
 * (macOS's openssl, Alpine's libressl) and OpenSSL before 1.1.1 are named and refused. Output that names
 * neither is let through: the steps then say what went wrong.
 */
export function classifyOpensslVersion(text: string): { readonly supported: boolean; readonly found?: string } {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  const libre = /^LibreSSL\s+(\S+)/.exec(line);
  if (libre) return { supported: false, found: `LibreSSL ${libre[1]}` };
  const m = /^OpenSSL\s+(\d+)\.(\d+)\.(\d+)([a-z]*)/.exec(line);
  if (!m) return { supported: true };
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const found = `OpenSSL ${m[1]}.${m[2]}.${m[3]}${m[4]}`;
  if (major >= 3 || (major === 1 && minor === 1 && patch >= 1)) return { supported: true, found };
  return { supported: false, found };
}

async function checkOpensslVersion(openssl: string, exec: Exec): Promise<void> {
  const out = await exec({
    file: openssl,
    args: ['version'],
    cwd: process.cwd(),
    env: { LC_ALL: 'C' },
    timeoutMs: 10_000,
  });
  if (out.kind !== 'exited' || out.exitCode !== 0) return;
  const v = classifyOpensslVersion(out.stdout);
  if (!v.supported) {
    const install =
      'install OpenSSL (Debian/Ubuntu: apt-get install openssl; Alpine: apk add openssl; macOS: brew install openssl@3)';
    throw new ToolVersionError(
      'openssl',
      v.found!,
      `kafka-mtls needs ${OPENSSL_NEEDED}: ${install}, or pass --openssl PATH`,
    );
  }
}

/**
 * The settings a tool's command runs with besides the caller's (never a secret), shown before the command as a
 * shell line sets them. Every `openssl x509` gets SSL_CERT_FILE=/dev/null: the x509 command loads the system's CA
 * bundle into a store on every run (X509_STORE_set_default_paths in apps/x509.c, 1.1.1 and 3.x alike), which neither
 * reading a certificate nor signing a request consults, and with OpenSSL 3.0's decoders that parse is most of the
 * command: `openssl x509 -in ca.crt -noout` took 21 ms against 3.5 for `openssl verify` of the same file (mean of
 * 50, 2026-12-08; strace shows only x509 of the run's commands opening the bundle), so 17 ms of every signature.
 * SSL_CERT_FILE names the bundle; /dev/null holds none.
 */
export function toolSettings(tool: Tool, args: readonly string[]): Readonly<Record<string, string>> {
  return tool === 'openssl' && args[0] === 'x509' ? { SSL_CERT_FILE: '/dev/null' } : {};
}
