/**
 * The directory plan, apply and rotate-ca work on, found: a symlink resolved, a swap cut between its renames
 * named (not mistaken for a directory that never was), its state file read, or else whether it can be taken over.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { keyOf } from '../model/keys.js';
import type { State } from '../model/state.js';
import type { ParamFallbacks } from '../options/params.js';
import { interruptedSwap } from './leftovers.js';
import { readState, STATE_FILE } from './state-file.js';
import { surveyDirectory } from './takeover.js';

/** The directory a plan, apply or rotate-ca works on (a symlink stays one), and its state file if it has one. */
export async function findDirectory(
  out: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ dir: string; state?: State }> {
  const given = resolve(out ?? 'certs');
  const dir = await realpath(given).catch(() => given);
  const cut = await interruptedSwap(given);
  // Not "run generate first": that would make a new CA, where the swap only needs finishing.
  if (cut) throw new UsageError('--out', `${given} is missing: ${cut}; nothing was read`);
  return { dir, state: await readState(dir, signal) };
}

/** The refusal for a directory without a state file that cannot be taken over either. */
export function noStateError(dir: string, takeOver: 'apply' | 'none'): UsageError {
  const then =
    takeOver === 'apply'
      ? `: take it over first with kafka-mtls apply (plan shows what it would do)`
      : `: it was not made by kafka-mtls generate; run generate first`;
  return new UsageError('--out', `${dir} holds no ${STATE_FILE}${then}`);
}

/** The defaults a directory's state gives: its layout, store type, outputs, deployment and password style. */
export function fallbackOf(state: State): ParamFallbacks {
  return {
    layout: state.layout,
    storeType: state.storeType,
    emit: state.emit,
    deployment: state.deployment,
    generatePasswords: state.generatedPasswords,
    leafKey: keyOf(state.identities[0]!),
    caKey: keyOf(state.ca),
  };
}

/**
 * The directory a rotate-ca works on (a symlink stays one), its state, and the defaults it gives. One that
 * kafka-mtls did not make is taken over by plan and apply first.
 */
export async function openDirectory(
  out: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ dir: string; state: State; fallback: ParamFallbacks }> {
  const { dir, state } = await findDirectory(out, signal);
  if (!state) {
    const survey = await surveyDirectory(dir).catch(() => undefined);
    throw noStateError(dir, survey ? 'apply' : 'none');
  }
  return { dir, state, fallback: fallbackOf(state) };
}
