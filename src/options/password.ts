/** The shared store password: read from --password-file or PASSWORD once, and the warning when it is weak. */
import { named, UsageError } from '../errors.js';
import { Secret, weakness } from '../secrets.js';
import * as v from '../model/rules.js';
import { SCRIPT_DEFAULTS } from '../model/defaults.js';
import { readBoundedText } from '../pki/read-file.js';
import { PASSWORD_VARIABLE, sourceLabel, STORE_PASSWORD_ENV, type SecretSource } from '../model/secret-names.js';

/** The shared store password, and where it came from: the warnings, refusals and --dry-run name that. */
export interface ReadPassword {
  readonly secret: Secret;
  /** --password-file (or the option given), PASSWORD, or PASSWORD unset: the script's default. */
  readonly source: SecretSource;
}

/** The one place a password file or PASSWORD is read (a bounded reader can replace readFile here alone). */
export async function readPassword(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  option = '--password-file',
): Promise<ReadPassword> {
  if (file !== undefined) {
    const text = await readBoundedText(file, { kind: 'password', option, signal });
    // One trailing newline is the file's, not the password's (echo pw > file).
    const value = text.replace(/\r?\n$/, '');
    if (/[\r\n]/.test(value)) throw new UsageError(option, multiLineRule(file, value));
    if (value === '') throw new UsageError(option, `must not be empty; ${file} holds no password`);
    return {
      secret: new Secret(
        'store password',
        named(option, () => v.password(value)),
      ),
      source: { kind: 'file', path: file, option },
    };
  }
  const fromEnv = env[PASSWORD_VARIABLE];
  // Set but empty is a mistake (PASSWORD=$(cat missing-file)), never a request for the default.
  if (fromEnv === '') throw emptyPasswordError();
  if (fromEnv !== undefined)
    return {
      secret: new Secret(
        'store password',
        named(PASSWORD_VARIABLE, () => v.password(fromEnv)),
      ),
      source: { kind: 'env', variable: PASSWORD_VARIABLE },
    };
  return { secret: new Secret('store password', SCRIPT_DEFAULTS.password), source: { kind: 'default' } };
}

/** PASSWORD set but empty: the run's refusal, and the --dry-run script's, in one sentence. */
export function emptyPasswordError(): UsageError {
  return new UsageError(PASSWORD_VARIABLE, "must not be empty (unset it to use the script's default password)");
}

/**
 * Why a password file is not one line. A carriage return is named: a Windows editor ends the line with
 * CR LF, and a lone CR is invisible in a terminal, so "a single line" alone leaves the user puzzled.
 */
function multiLineRule(file: string, value: string): string {
  const rule = 'must hold the password on a single line';
  const fix = 'a file saved with Windows line endings; save it with Unix line endings';
  if (/^[^\r\n]*\r$/.test(value)) return `${rule}; ${file} ends with a carriage return (\\r): ${fix}`;
  if (!value.includes('\n')) return `${rule}; ${file} holds a carriage return (\\r): ${fix}`;
  return rule;
}

/**
 * The one-line warning about the shared password a command uses, if any: the
 * script's default (anyone can guess it), or a weak one. `publicText` is what
 * the run shows anyway (names, subjects): a password found in it is weak too.
 */
export function passwordWarning(p: ReadPassword, publicText = ''): string | undefined {
  if (p.source.kind === 'default') {
    return (
      'neither PASSWORD nor --password-file is set: ' +
      'using the script\'s default store password "password", which anyone can guess'
    );
  }
  const why = weakness(p.secret.reveal(), `${publicText}\n${Object.values(SCRIPT_DEFAULTS).join('\n')}`);
  if (!why) return undefined;
  const fix = 'use a long random one (or --generate-passwords)';
  return `the store password from ${sourceLabel(p.source)} is weak: ${why}; ${fix}`;
}

/**
 * The --dry-run script's warning when PASSWORD is unset as it runs: the script reads the store password's own
 * variable first, so it names that one where the run names --password-file.
 */
export const SCRIPT_DEFAULT_PASSWORD_WARNING =
  `neither ${PASSWORD_VARIABLE} nor ${STORE_PASSWORD_ENV} is set: ` + "using the script's default store password";
