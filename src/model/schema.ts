/**
 * What the config file's schema (options/config-schema.ts) and the state file's (model/state-schema.ts) share: zod
 * types whose every rule is model/rules.ts's, and the first issue of a parse as the UsageError the user reads,
 * "<file>: <field's path>: <rule>". zod is loaded with these modules alone: most runs read neither file.
 */
import { z } from 'zod';
import { RuleError, UsageError } from '../errors.js';
import * as v from './rules.js';

type Ctx = z.RefinementCtx;

/** Adds the rule broken as an issue at this value's path (or below it, at `path`). */
export function fail(ctx: Ctx, message: string, path?: PropertyKey[]): never {
  ctx.addIssue({ code: 'custom', message, ...(path ? { path } : {}) });
  return z.NEVER as never;
}

/** A field left out, or given as nothing (YAML's `key:` alone, JSON's null), takes its default. */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((x) => (x === null ? undefined : x), schema.optional());

/** A string; a number is read as the digits it was written with (YAML reads `replicas: 3` as a number). */
export const text = z
  .any()
  .transform((x: unknown, ctx) =>
    typeof x === 'number'
      ? String(x)
      : typeof x === 'string'
        ? x
        : fail(ctx, `must be a string, got ${JSON.stringify(x)}`),
  );

/** A string held to a rule of model/rules.ts, its sentence reported at this field's path. */
export const ruled = <T>(check: (raw: string) => T) =>
  text.transform((raw, ctx): T => {
    try {
      return check(raw);
    } catch (e) {
      if (e instanceof RuleError) return fail(ctx, e.rule);
      throw e;
    }
  });

export const int = (min: number, max: number) => ruled((raw) => v.wholeNumber(raw, min, max));
export const oneOf = <T extends string>(allowed: readonly T[]) => ruled((raw) => v.oneOf(raw, allowed));
export const keyBits = ruled((raw) => v.keyBits(raw));
export const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be a list' });
export const MAPPING = 'must be a mapping (key: value)';

/** A mapping of known fields only: an unknown one is named with the fields known there. */
export const mapping = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `is not a known field; known here: ${Object.keys(shape).join(', ')}`
        : iss.code === 'invalid_type'
          ? MAPPING
          : undefined,
  });

/** A value checked against a schema, its first issue a UsageError naming the field under `path`. */
export function parseAt<T extends z.ZodType>(
  label: string,
  schema: T,
  value: unknown,
  path: readonly PropertyKey[] = [],
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = firstIssue(r.error.issues);
  const at = [...path, ...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw new UsageError(`${label}: ${pathText(at) || '(top level)'}`, message);
}

/**
 * The issue a reader of the file meets first: zod reports a mapping's unknown field after its known ones, where
 * the file is read top-down; an unknown field is reported before anything inside the mapping that holds it.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0]!;
  const within = (outer: readonly PropertyKey[]) => outer.every((k, i) => first.path[i] === k);
  const unknown = issues.filter((i) => i.code === 'unrecognized_keys' && within(i.path));
  return unknown.sort((a, b) => a.path.length - b.path.length)[0] ?? first;
}

/** ['brokers', 'kafka-1', 1] → brokers.kafka-1[1] */
export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}
