/** Reading the parsed state file field by field, each failure a UsageError naming the field's path. */
import { UsageError } from '../errors.js';
import { CURVE_BITS, CURVES, type Curve, type KeySpec } from './keys.js';
import * as v from './rules.js';

export type Json = unknown;

/**
 * A field of the state file (kafka-mtls.json), by its path: the helpers throw UsageError naming it. A config file
 * is read by options/config-schema.ts, with the same rules and the same sentences.
 */
export class Field {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: Json,
    /** How errors name the file: the option that gave it, or the file itself (kafka-mtls.json). */
    readonly label = `--config ${file}`,
  ) {}
  fail(rule: string): never {
    throw new UsageError(`${this.label}: ${this.path || '(top level)'}`, rule);
  }
  at(key: string | number): Field {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    const value = Array.isArray(this.value) ? this.value[key as number] : (this.value as Record<string, Json>)[key];
    return new Field(this.file, path, value, this.label);
  }
  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }
  object(keys: readonly string[]): Field {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value))
      this.fail('must be a mapping (key: value)');
    const unknown = Object.keys(this.value).filter((k) => !keys.includes(k));
    if (unknown.length > 0) this.at(unknown[0]!).fail(`is not a known field; known here: ${keys.join(', ')}`);
    return this;
  }
  entries(): Array<[string, Field]> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value))
      this.fail('must be a mapping (key: value)');
    return Object.keys(this.value).map((k) => [k, this.at(k)]);
  }
  list(): Field[] {
    if (!Array.isArray(this.value)) this.fail('must be a list');
    return this.value.map((_, i) => this.at(i));
  }
  string(): string {
    if (typeof this.value === 'number') return String(this.value);
    if (typeof this.value !== 'string') this.fail(`must be a string, got ${JSON.stringify(this.value)}`);
    return this.value;
  }
  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail(`must be true or false, got ${JSON.stringify(this.value)}`);
    return this.value;
  }
  int(min: number, max: number): number {
    const raw = typeof this.value === 'number' ? String(this.value) : this.string();
    return this.rule(() => v.wholeNumber('x', raw, min, max));
  }
  /** Runs a validator from model/rules.ts and reports its rule under this field's path. */
  rule<T>(check: () => T): T {
    try {
      return check();
    } catch (e) {
      if (e instanceof UsageError) this.fail(e.rule);
      throw e;
    }
  }
}

/**
 * A key as the state file records it beside other fields of `f`: keyBits (an RSA size), or curve (P-256, P-384)
 * with keyBits the curve's size.
 */
export function keySpec(f: Field): KeySpec {
  if (!f.at('curve').present) return { keyBits: keySize(f.at('keyBits')) };
  const curve = f.at('curve').string() as Curve;
  if (!CURVES.includes(curve)) f.at('curve').fail(`must be one of ${CURVES.join(', ')}, got ${JSON.stringify(curve)}`);
  const keyBits = f.at('keyBits').int(1, 16384);
  if (keyBits !== CURVE_BITS[curve]) f.at('keyBits').fail(`must be ${CURVE_BITS[curve]} for ${curve}, got ${keyBits}`);
  return { keyBits, curve };
}

/** An RSA key size, as the state file gives it. */
export function keySize(f: Field): number {
  const raw = typeof f.value === 'number' ? String(f.value) : f.string();
  return f.rule(() => v.keyBits('x', raw));
}
