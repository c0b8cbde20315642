// Rule 7 (model/crash-model.md section 2) over the history's events: after a failed write or
// fsync, that batch is never acknowledged, and within the same epoch (until a reopen)
// the engine either
//   goes on   the failed batch wholly absent: the next acknowledged batch reuses its
//             sequence numbers (an ack numbered as if the failed batch were kept depends
//             on its bytes), or
//   refuses   every later write fails with the original error code.
// An acknowledgement of a batch issued after the failure, once the engine has refused a
// later write, breaks both. Rule 5's in-epoch part rides along: an acknowledged batch's
// reported seqStart equals the model's.
//
// Error codes that refuse a write before it reaches the log (validation, closed, busy) do
// not start a failure episode; any other code (IO, ...) does.

import type { HistoryEvent } from './history.ts';
import { REFUSED_BEFORE_WRITE_CODES } from './history.ts';
import { PASS, type Verdict, violation } from './verdict.ts';

interface Episode {
  readonly failedId: number;
  readonly code: string;
  /** Index of the failure event: only writes issued after it count as refused later. */
  readonly at: number;
  /** A write issued after the failure was refused: the engine chose to fail closed. */
  refusedLater: boolean;
}

export function checkFailClosed(events: readonly HistoryEvent[]): Verdict {
  let episode: Episode | null = null;
  const issuedAt = new Map<number, number>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const at = `event ${i}`;
    if (event.type === 'issue') {
      issuedAt.set(event.id, i);
    } else if (event.type === 'recover') {
      episode = null;
    } else if (event.type === 'fail') {
      if (event.statusBefore === 'acked') {
        return violation(
          7,
          `batch id ${event.id} failed (${event.code}) after it was acknowledged`,
          { found: at },
        );
      }
      if (REFUSED_BEFORE_WRITE_CODES.includes(event.code)) continue;
      if (episode === null) {
        episode = { failedId: event.id, code: event.code, at: i, refusedLater: false };
      } else if ((issuedAt.get(event.id) ?? -1) > episode.at) {
        if (event.code !== episode.code) {
          return violation(
            7,
            `after batch id ${episode.failedId} failed with ${episode.code}, batch id ${event.id} was refused with ${event.code}, not the original error`,
            { found: at },
          );
        }
        episode.refusedLater = true;
      }
    } else if (event.type === 'ack') {
      if (event.statusBefore === 'failed') {
        return violation(7, `batch id ${event.id} is acknowledged although its write failed`, {
          found: at,
        });
      }
      if (episode !== null && event.id > episode.failedId) {
        if (episode.refusedLater) {
          return violation(
            7,
            `batch id ${event.id} is acknowledged after the engine refused writes following the failure of batch id ${episode.failedId} (${episode.code}), before any reopen`,
            { found: at },
          );
        }
        episode = null; // the engine went on without the failed batch
      }
      const wrongSeq = checkAckSeq(event);
      if (wrongSeq !== null) return wrongSeq;
    }
  }
  return PASS;
}

export function checkAckSeq(event: Extract<HistoryEvent, { type: 'ack' }>): Verdict | null {
  const reported = event.reportedSeqStart;
  if (reported === null || event.seqStart === null || reported === event.seqStart) return null;
  const found = `seqStart ${reported}, expected ${event.seqStart}`;
  if (reported === event.seqStartIfFailedKept) {
    return violation(
      7,
      `batch id ${event.id} is numbered as if the failed batch before it were kept: it depends on the failed batch's bytes`,
      { found },
    );
  }
  return violation(
    5,
    `batch id ${event.id} got sequence numbers from ${reported}, not from ${event.seqStart} (right after the batch before it)`,
    { found },
  );
}
