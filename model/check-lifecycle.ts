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
