import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CaSpec } from '../model/cluster.js';
import { digestFor, type KeySpec } from '../model/keys.js';
import { seaAsset } from '../runner/assets.js';
import { newKeyArgs } from '../steps/openssl.js';

/**
 * A strict renderer for the openssl config templates in templates/.
 *
 * openssl's config parser gives meaning to `$` (variables), `#` (comments),
 * `[` `]` (sections), `\` (escapes), `=` and quotes, and a newline starts a
 * new directive. Options are validated before they get here; this renderer
 * checks again, so that no value can change the config's structure whatever
 * path it took.
 */

/** `key = value` lines, e.g. DNS.1 = broker-0.example; for a placeholder alone on its line. */
export interface TemplateLines {
  readonly lines: ReadonlyArray<readonly [key: string, value: string]>;
}
export type TemplateValue = string | TemplateLines;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{([a-z_][a-z0-9_]*)\}\}/g;
const SAFE_VALUE =
  /^[^\s$#[\]\\="';{}\x00-\x1f\x7f](?:[^$#[\]\\="';{}\x00-\x1f\x7f]*[^\s$#[\]\\="';{}\x00-\x1f\x7f])?$/u;
const SAFE_KEY = /^[A-Za-z][A-Za-z0-9_.]*$/;

function checkValue(name: string, value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new TemplateError(`value for {{${name}}} is not safe in an openssl config: ${JSON.stringify(value)}`);
  }
  return value;
}

export function renderTemplate(template: string, values: Readonly<Record<string, TemplateValue>>): string {
  const used = new Set<string>();
  const lines = template.split('\n').map((line) => {
    const whole = /^\{\{([a-z_][a-z0-9_]*)\}\}$/.exec(line.trim());
    if (whole) {
      const name = whole[1]!;
      const value = lookup(values, name);
      used.add(name);
      if (typeof value === 'string') return checkValue(name, value);
      if (value.lines.length === 0) throw new TemplateError(`{{${name}}} has no lines`);
      return value.lines
        .map(([k, v]) => {
          if (!SAFE_KEY.test(k)) throw new TemplateError(`key for {{${name}}} is not safe: ${JSON.stringify(k)}`);
          return `${k} = ${checkValue(name, v)}`;
        })
        .join('\n');
    }
    return line.replace(PLACEHOLDER, (_m, name: string) => {
      const value = lookup(values, name);
      used.add(name);
      if (typeof value !== 'string') throw new TemplateError(`{{${name}}} is a list and must stand alone on its line`);
      return checkValue(name, value);
    });
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new TemplateError(`values given but not used by the template: ${unused.join(', ')}`);
  return lines.join('\n');
}

function lookup(values: Readonly<Record<string, TemplateValue>>, name: string): TemplateValue {
  if (!Object.prototype.hasOwnProperty.call(values, name)) throw new TemplateError(`no value for {{${name}}}`);
  return values[name]!;
}

const templateDir = fileURLToPath(new URL('../../templates/', import.meta.url));
const cache = new Map<string, string>();

/** Reads templates/<name> (shipped beside dist/ in the package, or inside the single executable). */
export function loadTemplate(
  name: 'ca.cnf' | 'leaf-req.cnf' | 'ext.cnf' | 'confluent-ca.cnf' | 'confluent-leaf.cnf',
): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = seaAsset(`templates/${name}`)?.toString('utf8') ?? readFileSync(templateDir + name, 'utf8');
    cache.set(name, text);
  }
  return text;
}

/**
 * A CA's openssl config for its key: RSA renders as the script's config did (default_bits, sha256); an EC key has
 * no use for default_bits (req(1) reads it for RSA alone), so its line is left out, and P-384 signs with SHA-384.
 */
export function renderCaConfig(name: 'ca.cnf' | 'confluent-ca.cnf', ca: CaSpec): string {
  const text = renderTemplate(loadTemplate(name), {
    ca_newkey: newKeyArgs(ca).slice(1).join(' '),
    ca_bits: String(ca.keyBits),
    ca_md: digestFor(ca),
    dn: { lines: ca.subject },
  });
  return ca.curve ? withoutDefaultBits(text) : text;
}

/** A leaf's key in its configs: the request's digest, the certificate's keyUsage; and default_bits where it counts. */
export function leafKeyValues(k: KeySpec): { leaf_md: string; key_usage: string } {
  return { leaf_md: digestFor(k), key_usage: keyUsageFor(k) };
}

/**
 * keyEncipherment is RSA key transport, which an EC key cannot do: RFC 5480 section 3 allows an ECDSA
 * certificate digitalSignature (and not keyEncipherment), and some stacks refuse the pair on an EC key. RSA keeps
 * the script's text.
 */
export function keyUsageFor(k: KeySpec): string {
  return k.curve ? 'critical, digitalSignature' : 'critical, digitalSignature, keyEncipherment';
}

export function withoutDefaultBits(text: string): string {
  return text.replace(/^default_bits\s*=.*\n/m, '');
}
