// Rule 5 (model/crash-model.md section 2): after recovery the engine's lastSeq is that of the
// prefix the recovery kept, and new batches get sequence numbers from lastSeq + 1. Call
// after History.truncateTo, with the engine's lastSeq and the seqStart it gave the first
// batch written after the reopen. Later crashes are held to rules 1-4 by the same History,
// which goes on over the whole history.

import type { History } from './history.ts';
import { PASS, type Verdict, violation } from './verdict.ts';

export function checkContinuation(
  history: History,
  lastSeq: number,
  nextSeqStart: number,
): Verdict {
  const kept = history.lastSeqAtRecovery;
  if (lastSeq !== kept) {
    return violation(
      5,
      `after recovery the engine reports lastSeq ${lastSeq}, but the recovered prefix ends at ${kept}`,
      {
        found: `lastSeq ${lastSeq}`,
      },
    );
  }
  if (nextSeqStart !== lastSeq + 1) {
    const reuse =
      nextSeqStart <= lastSeq ? ' (reusing recovered sequence numbers)' : ' (leaving a gap)';
    return violation(
      5,
      `the first batch after recovery starts at seq ${nextSeqStart}, not at lastSeq + 1 = ${lastSeq + 1}${reuse}`,
      {
        found: `seqStart ${nextSeqStart}`,
      },
    );
  }
  return PASS;
}
