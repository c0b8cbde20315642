// Lifecycle rules the campaign exercises besides crashes (src/wal/wal-format.md, the engine API):
// a second writable open of a directory while the first is open fails LOCKED (two writers
// would break the single-writer order every rule of model/crash-model.md section 2 rests on, so a
// second writer is judged under rule 2), and close() settles every write queued when it was
// called (liveness, check-liveness.ts) while reopening afterwards must show every
// acknowledged batch (rule 2, judged by checkRecovery like any recovery).

import { PASS, type Verdict, violation } from './verdict.ts';

export type SecondOpen =
  | { readonly opened: true }
  | { readonly opened: false; readonly code: string; readonly injected: boolean };

export function checkSecondOpen(outcome: SecondOpen): Verdict {
  if (outcome.opened)
    return violation(
      2,
      'a second writable open of the directory succeeded while the first was still open: it must fail LOCKED',
      { found: 'the second open returned a database' },
    );
  if (outcome.code === 'LOCKED' || outcome.injected) return PASS;
  return violation(
    2,
    `a second writable open failed with ${outcome.code} instead of LOCKED while the first was open`,
    { found: `open failed: ${outcome.code}` },
  );
}

export type OpenWhileClosing =
  | {
      readonly opened: true;
      readonly closeResolved: boolean;
      /** Writes of the first writer that settled after the open had taken the lock. */
      readonly settledAfterLock: number;
    }
  | { readonly opened: false; readonly code: string; readonly injected: boolean };

/**
 * A writable open attempted while close() of the directory's writer is still draining its
 * queue: the first still holds the lock, so the open must be refused (LOCKED, or BUSY), or
 * wait and return once close() resolved. One that returns a database before close() resolved,
 * or that took the lock while the first writer still settled writes, ran recovery and took the
 * log while the first writer was still appending to it.
 */
export function checkOpenWhileClosing(outcome: OpenWhileClosing): Verdict {
  if (outcome.opened) {
    if (outcome.settledAfterLock > 0)
      return violation(
        2,
        `a writable open took the lock while close() of the first writer was still draining its queue: ${outcome.settledAfterLock} of its writes settled after that; the lock must be held until the queue drained`,
        {
          found: `${outcome.settledAfterLock} writes of the first writer settled after the open took the lock`,
        },
      );
    if (!outcome.closeResolved)
      return violation(
        2,
        'a writable open succeeded while close() of the first writer had not resolved: it must fail LOCKED until close() has released the lock',
        { found: 'the open returned a database before close() resolved' },
      );
    return PASS;
  }
  if (outcome.code === 'LOCKED' || outcome.code === 'BUSY' || outcome.injected) return PASS;
  return violation(
    2,
    `a writable open while close() was draining failed with ${outcome.code} instead of LOCKED`,
    { found: `open failed: ${outcome.code}` },
  );
}
