import { purposeOf, type ExecAction, type Step, type StepOutput, type StepPurpose } from '../runner/step.js';
import { compareStore, describeListing, type ExpectedStore, type StoreListing } from '../pki/stores.js';

/**
 * The last step for a store, whichever tool reads it: open it with its
 * password, and compare what Java will see (aliases, entry types, chain
 * lengths) with what the plan meant it to hold.
 */
export function storeCheckStep<L extends StoreListing>(
  s: StepPurpose & { readonly id: string; readonly store: string; readonly expect: ExpectedStore },
  action: ExecAction,
  read: (o: StepOutput) => L | undefined,
  extraCheck: (listing: L) => string | undefined = () => undefined,
): Step {
  return {
    id: s.id,
    ...purposeOf(s),
    title: `Check ${s.store} opens and holds ${s.expect.entries.map((e) => e.alias).join(' + ')}`,
    action,
    reads: [s.store],
    writes: [],
    check: (o) => {
      const listing = read(o);
      return (listing && extraCheck(listing)) ?? compareStore(listing, s.expect);
    },
    summarize: (o) => {
      const listing = read(o);
      return listing ? describeListing(listing) : undefined;
    },
  };
}
