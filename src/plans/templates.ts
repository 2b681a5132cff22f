import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seaAsset } from '../runner/assets.js';

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
