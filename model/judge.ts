// The one judge of a recovery and of the acknowledgements after it. A runner opens the engine
// its own way, and hands over what it saw. Who calls what:
//
//   walcheck real (faults/real/)   judgeRecovery (box 'black') on each kill's scan, judgeFirstAck
//                                  at the first ack after a recovery
//   walcheck audit (faults/audit/) judgeRecovery (box 'black', read only) on every crash image
//                                  (judge-states.ts) and for the batches a violating state lost
//                                  (audit-report.ts); on a continuation, judgeRecovery on a
//                                  fresh history, then judgeFirstAck (continuation.ts)
//   the campaign (faults/campaign/) judgeRecovery at every open (open-judged.ts), judgeFirstAck
//                                  at an epoch's first ack (cycle-run.ts)
//   walcheck explore (faults/explore/) judgeRecovery on every crash state and damaged-log open
//                                  (explore.ts, explore-recovery.ts), judgeFirstAck after it
//   rule 1 (faults/judge/ack-rule.ts): checkAckRecovered
//
// What this file does not cover the runners take from model/ directly, never worded by hand:
// the acks' numbering and rule 7 (check-fail-closed.ts: real, audit, campaign), a scan that
// failed (check-black-box.ts scanFailedViolation: audit), an engine that does not go on after
// a recovery (check-continuation.ts refusedWriteViolation: audit), a write refused with nothing failed
// underneath (check-continuation.ts checkRefusedWrite: campaign, explore), the gets, refusals and quarantine
// of a white-box recovery (check-reads.ts, check-refusal.ts, check-quarantine.ts), and the
// campaign's lifecycle and liveness rules (faults/judge/liveness.ts settles and asks).
//
// The functions:
//
//   judgeRecovery    the recovered state (white box: lastSeq, gets, snapshots, report; black
//                    box: a full scan only) or the open's failure (openFailureOf), judged by
//                    rules 2, 3, 4, 6 and 7; a pass that kept a prefix moves the history on to
//                    it (History.truncateTo), so the next epoch is judged from there
//   judgeFirstAck    rule 5: the first batch acknowledged after a recovery starts at the
//                    recovered lastSeq + 1
//   checkAckRecovered  rule 1 for an engine whose files the oracle cannot decode: a recovery
//                    of a copy of the durable image taken at the acknowledgement holds every
//                    batch up to the acknowledged one (our own format is decoded instead:
//                    checkAckDurable)

import { checkAckStanding } from './check-ack.ts';
import {
  type BlackBoxDamage,
  type BlackBoxObserved,
  checkBlackBoxRecovery,
} from './check-black-box.ts';
import { checkContinuation } from './check-continuation.ts';
import { checkRecovery, type Observed, type RecoveryContext } from './check-recovery.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { BatchId, History, Line } from './history.ts';
import { describeOpenFailure, type OpenFailure } from './open-failure.ts';
import type { Entry } from './prefix-model.ts';
import { supersededMatch, wholeMatches } from './state-match.ts';
import {
  diffStates,
  keysText,
  PASS,
  type RecoveryVerdict,
  type Verdict,
  violation,
} from './verdict.ts';

/** What a runner saw of one recovery. */
export type RecoverySeen =
  | { readonly box: 'white'; readonly observed: Observed; readonly context?: RecoveryContext }
  | {
      readonly box: 'black';
      readonly observed: BlackBoxObserved;
      readonly damage?: BlackBoxDamage;
    };

export interface JudgeRecoveryOptions {
  /** A read-only open: judged the same, but the history does not move on (nothing changed). */
  readonly readOnly?: boolean;
  /**
   * The recovered batches were read from a crash image, so they are durable and a later crash
   * must keep them (default true); a reopen in the same process may have read unsynced bytes.
   */
  readonly keptDurable?: boolean;
}

export function judgeRecovery(
  history: History,
  seen: RecoverySeen,
  options: JudgeRecoveryOptions = {},
): RecoveryVerdict {
  const verdict =
    seen.box === 'white'
      ? checkRecovery(history, seen.observed, seen.context)
      : checkBlackBoxRecovery(history, seen.observed, seen.damage ?? { kind: 'none' });
  if (verdict.ok && verdict.k !== null && options.readOnly !== true)
    history.truncateTo(verdict.k, verdict.line, options.keptDurable ?? true);
  return verdict;
}

/** Rule 5 at the first acknowledgement after a recovery (call after judgeRecovery moved on). */
export function judgeFirstAck(history: History, seqStart: number): Verdict {
  return checkContinuation(history, history.lastSeqAtRecovery, seqStart);
}

/** What the engine showed when opened on a copy: a full scan and its lastSeq when it reports one. */
export interface RecoveredCopy {
  readonly entries: readonly Entry[];
  readonly lastSeq?: number | undefined;
}

/**
 * Rule 1 through recovery: `recovered` is what the engine showed when opened on a copy of the
 * durable image taken when batch `id` was acknowledged, or the open's failure. It must be the
 * model after a whole prefix that includes the acknowledged batch, ending at the lastSeq the
 * engine reports (when it reports one: a batch that changes nothing is told apart only so).
 */
export function checkAckRecovered(
  history: History,
  id: BatchId,
  recovered: RecoveredCopy | OpenFailure,
): Verdict {
  const position = history.position(id);
  const standing = checkAckStanding(history, id, position);
  if (standing !== null) return standing;
  const expectedK = [position, history.length] as const;
  if (!('entries' in recovered))
    return violation(
      1,
      `acknowledged batch id ${id} is not durable: the durable image at its acknowledgement does not open`,
      { expectedK, found: describeOpenFailure(recovered) },
    );
  const { entries, lastSeq } = recovered;
  const fp = fingerprintOf(entries);
  for (const match of wholeMatches(history.lines(), entries, fp)) {
    const seqAgrees = lastSeq === undefined || match.line.model.endSeq(match.k) === lastSeq;
    if (match.k >= positionIn(match.line, id) && seqAgrees) return PASS;
  }
  const superseded = supersededMatch(history, entries, fp);
  if (superseded !== null)
    return violation(
      7,
      `acknowledged batch id ${id} depends on failed batch id ${superseded.batch.id}: the durable image holds it`,
      {
        expectedK,
        found: `${keysText(entries)}; the model after k=${superseded.k} plus that failed batch`,
      },
    );
  return violation(
    1,
    `acknowledged batch id ${id} is not durable: a recovery of the durable image at its acknowledgement lacks b${position} or a batch before it`,
    {
      expectedK,
      found: `${lastSeq === undefined ? '' : `lastSeq ${lastSeq}, `}${keysText(entries)}; no whole prefix b1..bk with k >= ${position}`,
      diff: diffStates(
        `model after k=${position} → recovered copy`,
        history.stateAt(position),
        entries,
      ),
    },
  );
}

/** Position of batch `id` in a line (1-based); beyond the line when it is not in it. */
function positionIn(line: Line, id: BatchId): number {
  const batches = line.model.batches();
  const index = batches.findIndex((b) => b.id === id);
  return index < 0 ? Infinity : index + 1;
}
