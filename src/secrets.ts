import { inspect } from 'node:util';

/**
 * A password or other secret. It prints as its label everywhere (String(),
 * JSON, util.inspect, template literals) so that it cannot leak into a
 * report or a log by accident; only `reveal()` gives the value, and only the
 * runner calls it, to put the value in a child's environment.
 */
export class Secret {
  readonly #value: string;
  constructor(
    readonly label: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return `<${this.label}>`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Secrets by the environment variable that carries them to a child process. */
export type SecretEnv = Readonly<Record<string, Secret>>;

export const REDACTED = '***';

/**
 * Words of six letters or more (a password has at least six) that openssl and
 * keytool print, taken from their real output (verbose runs of every layout and
 * test/fixtures/outputs). A password equal to one of these, or to part of one,
 * cannot be hidden in their output without being given away: `1 entries
 * successfully ***` says the password is "imported".
 */
const TOOL_WORDS = `
Algorithm Attributes AuthorityKeyIdentifier BasicConstraints CARoot CERTIFICATE Cannot Certificate Constraints
Creation Criticality Crl_Sign DNSName DigitalSignature EMAILADDRESS Encrypted Exception ExtendedKeyUsages
Extensions Failed FileNotFoundException HmacPBESHA256 IOException Import Importing Integrity Issuer Iteration
KeyIdentifier KeyUsage Key_CertSign Key_Encipherment Keybag Keystore NoSuchAlgorithmException OPTION ObjectId
Options PathLen PrivateKeyEntry Public Serial SerialNumber Shrouded Signature Subject SubjectAlternativeName
SubjectKeyIdentifier SunPKCS11 Unsupported Version Warning access addprovider algorithm already argument available
cacerts cancelled caroot certificate cipher classpath clientAuth command completed configure contains critical
destkeystore deststoretype directory emailAddress entries environment establish exists expecting expired failed
fingerprints format friendlyName fully-qualified hmacWithSHA256 identifier imported importkeystore incorrect
industry invalid issuer keystore keytool length localKeyID lookup mechanism message migrate number object output
parameter parseAlgParameters parsing password printf private process proprietary protected provider providerarg
providerclass providername providerpath recommended request security self-signature serverAuth srckeystore
standard storepass stores storetype subject successfully tampered through trustedCertEntry truststore unable
undefined variable verbose verification verify withRSA writing Generating Verifying decrypt routines Enter phrase
`
  .trim()
  .split(/\s+/);

/**
 * Whether a secret's value is public anyway: part of a word the tools print,
 * or of what the run shows of itself (its commands, titles, names, subjects).
 */
export function isPublicWord(value: string, publicText = ''): boolean {
  return publicText.includes(value) || TOOL_WORDS.some((w) => w.includes(value));
}

/**
 * Hides secrets in what is displayed (progress, failure reports, the journal,
 * --json, --verbose); checks read the tools' real output. A secret that is a
 * public word is left as the tools print it: replacing it would garble their
 * messages and confirm the password (the weak-password warning says so).
 */
export class Redactor {
  readonly #hidden: readonly string[];
  constructor(secrets: SecretEnv, publicText = '') {
    // Longest first, so that a secret containing another is replaced whole.
    this.#hidden = [...new Set(Object.values(secrets).map((s) => s.reveal()))]
      .filter((v) => v.length > 0 && !isPublicWord(v, publicText))
      .sort((a, b) => b.length - a.length);
    const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.#wrapped = this.#hidden.map((v) => new RegExp([...v].map(esc).join('(?:\\r?\\n)?'), 'g'));
  }
  /** Each secret with a line break allowed between any two of its characters. */
  readonly #wrapped: readonly RegExp[];
  /**
   * Whole text: a complete output, a line, a message. When `cut` (by default,
   * a text that does not end its last line), the end may be the first part of a
   * secret whose rest was never written (a process killed mid-write): hidden too.
   */
  text(text: string, cut = !text.endsWith('\n')): string {
    let out = text;
    for (const v of this.#hidden) out = out.split(v).join(REDACTED);
    // A tool that wraps its output can print a secret over two lines: each piece is hidden, the line breaks kept.
    if (/[\r\n]/.test(out)) {
      for (const re of this.#wrapped) out = out.replace(re, (m) => m.replace(/[^\r\n]+/g, REDACTED));
    }
    if (!cut) return out;
    // The last line's end, its line break aside: a process stopped between two lines of a wrapped secret.
    const end = /[\r\n]*$/.exec(out)![0];
    const body = out.slice(0, out.length - end.length);
    for (const v of this.#hidden) {
      for (let k = v.length - 1; k >= Math.min(3, v.length); k--) {
        if (body.endsWith(v.slice(0, k))) return body.slice(0, body.length - k) + REDACTED + end;
      }
    }
    return out;
  }
  /**
   * A stream redacted line by line, each line given whole to `onLine` (without
   * its newline): a secret split across two writes is still found. So is one
   * split across two lines: a line is given once the next one is known (or the
   * stream ends), since the next may hold the rest of a secret it ends with.
   */
  lines(onLine: (line: string) => void): { write(chunk: string): void; end(): void } {
    let partial = '';
    // The last whole line, redacted as far as what came before it tells, not given yet.
    let held: string | undefined;
    const firstAndRest = (t: string): [string, string] => {
      const i = t.indexOf('\n');
      return [t.slice(0, i), t.slice(i + 1)];
    };
    return {
      write: (chunk) => {
        const parts = (partial + chunk).split(/\r?\n/);
        partial = parts.pop()!;
        for (const line of parts) {
          if (held === undefined) {
            held = line;
            continue;
          }
          const [first, rest] = firstAndRest(this.text(`${held}\n${line}`, false));
          onLine(first);
          held = rest;
        }
      },
      end: () => {
        if (held !== undefined && partial !== '') {
          const [first, rest] = firstAndRest(this.text(`${held}\n${partial}`, true));
          onLine(first);
          onLine(rest);
          // The last line may end with the first piece of a secret whose next line never came (a process killed
          // between its lines, as a step cancelled beside a failed one is): that piece is hidden too.
        } else if (held !== undefined) onLine(this.text(held, true));
        else if (partial !== '') onLine(this.text(partial, true));
        held = undefined;
        partial = '';
      },
    };
  }
}

/** Replaces every occurrence of every secret's value in `text` with ***, public words aside. */
export function redact(text: string, secrets: SecretEnv): string {
  return new Redactor(secrets).text(text);
}

/**
 * Why a password is weak, in a few words, or undefined: shorter than 10
 * characters, a single word (with a few digits), or a word the tools print.
 */
export function weakness(value: string, publicText = ''): string | undefined {
  if (isPublicWord(value, publicText)) {
    return 'it is a word openssl, keytool or kafka-mtls print, so it shows in their output';
  }
  if (value.length < 10) return 'it is shorter than 10 characters';
  if (/^[A-Za-z]+[0-9]{0,4}[^A-Za-z0-9]?$/.test(value)) return 'it is a single word';
  return undefined;
}
