// Rule 5 (model/crash-model.md section 2): after recovery the engine's lastSeq is that of the
// prefix the recovery kept, and new batches get sequence numbers from lastSeq + 1. Call
// after History.truncateTo, with the engine's lastSeq and the seqStart it gave the first
// batch written after the reopen. Later crashes are held to rules 1-4 by the same History,
// which goes on over the whole history.
//
// Rule 5's other half, a refused write, worded here once for every runner: checkRefusedWrite
// for an engine in this process that refuses a write when nothing failed underneath it (no
// injected failure, no crash) and the write asked for nothing it may refuse;
// refusedWriteViolation for a black box that cannot go on at all after a recovery that kept a
// whole prefix (its load exited, failed or broke the protocol: the runner says how in words).

import type { History } from './history.ts';
import { PASS, type Verdict, type Violation, violation } from './verdict.ts';

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

/**
 * Rule 5 at a refused write: `code` and `message` are the refusal's error; `excused` is true
 * when the runner saw a cause (a failure injected or a crash since the open, or a refusal the
 * request asked for); `when` places the write in words ('after recovery'), '' for none.
 */
export function checkRefusedWrite(
  code: string,
  message: string,
  excused: boolean,
  when = '',
): Verdict {
  if (excused) return PASS;
  return violation(
    5,
    `the engine refused a write${when === '' ? '' : ` ${when}`} with no injected failure and no crash: ${code}: ${message}`,
  );
}

/**
 * `k` is the prefix the recovery kept; `what` is what the write attempt did, in words (e.g.
 * "ended with exit 3 after 0 of 6 acks; engine stderr: ..."); `attempt` names that attempt.
 */
export function refusedWriteViolation(
  k: number,
  what: string,
  attempt = "'load' on the recovered directory",
): Violation {
  return violation(5, `after the crash the engine cannot go on: ${attempt} (k=${k}) ${what}`);
}
