/** plan's and apply's own options (--renew-before, --prune): declared, and read into what the diff needs. */
import { Option } from 'commander';
import { named } from '../errors.js';
import * as v from '../model/rules.js';
import type { RawRunOptions } from './params.js';

export interface RawLifecycleOptions extends RawRunOptions {
  renewBefore?: string;
  prune?: boolean;
  json?: boolean;
}

export const lifecycleOptions = (): Option[] => [
  new Option('--renew-before <days>', 'reissue certificates that expire within this many days (default 30)'),
  new Option('--prune', 'remove brokers and clients the description no longer names (default: keep them)'),
];

/** What the diff of the wanted cluster and the directory needs from the options: now, how soon, and --prune. */
export function parseDiffOptions(raw: RawLifecycleOptions) {
  return {
    now: new Date(),
    renewBeforeDays: named('--renew-before', () => v.wholeNumber(raw.renewBefore ?? '30', 0, 36500)),
    prune: raw.prune === true,
  };
}
