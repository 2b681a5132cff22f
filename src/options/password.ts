/** The shared store password: read from --password-file or PASSWORD once, and the warning when it is weak. */
import { UsageError } from '../errors.js';
import { Secret, weakness } from '../secrets.js';
import * as v from '../model/rules.js';
import { SCRIPT_DEFAULTS } from '../model/defaults.js';
import { readBoundedText } from '../pki/read-file.js';

/** Where the shared store password came from, as error messages name it. */
export interface ReadPassword {
  readonly secret: Secret;
  readonly isDefault: boolean;
  /** The option or variable that gave it: --password-file, PASSWORD (also when unset: the default). */
  readonly from: string;
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
      secret: new Secret('store password', v.password(option, value)),
      isDefault: false,
      from: `${option} ${file}`,
    };
  }
  const fromEnv = env.PASSWORD;
  // Set but empty is a mistake (PASSWORD=$(cat missing-file)), never a request for the default.
  if (fromEnv === '') throw emptyPasswordError();
  if (fromEnv !== undefined)
    return {
      secret: new Secret('store password', v.password('PASSWORD', fromEnv)),
      isDefault: false,
      from: 'PASSWORD',
    };
  return { secret: new Secret('store password', SCRIPT_DEFAULTS.password), isDefault: true, from: 'PASSWORD' };
}

/** PASSWORD set but empty: the run's refusal, and the --dry-run script's, in one sentence. */
export function emptyPasswordError(): UsageError {
  return new UsageError('PASSWORD', "must not be empty (unset it to use the script's default password)");
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
export function passwordWarning(
  p: Pick<ReadPassword, 'secret' | 'isDefault' | 'from'>,
  publicText = '',
): string | undefined {
  if (p.isDefault) {
    return (
      'neither PASSWORD nor --password-file is set: ' +
      'using the script\'s default store password "password", which anyone can guess'
    );
  }
  const why = weakness(p.secret.reveal(), `${publicText}\n${Object.values(SCRIPT_DEFAULTS).join('\n')}`);
  if (!why) return undefined;
  return `the store password from ${p.from} is weak: ${why}; use a long random one (or --generate-passwords)`;
}
