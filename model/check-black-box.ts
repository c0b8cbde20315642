// Rules 2, 3 and 6 (model/crash-model.md section 2) for an engine seen only through a full scan:
// a black box reports no lastSeq, no snapshots and no recovery report. The recovered state
// must still equal the model after a whole prefix b1..bk with every acknowledged batch in
// it; lastSeq is inferred as b_k's last seq (the engine's numbering is then held by the
// continuation and ack checks on the seqStart of its acknowledgements).
//
// Damage to the files before recovery (walcheck real --damage):
//   none      as checkRecovery
//   known     the lowest damaged batch j is known (our WAL format): as checkRecovery with
//             bit rot at j, except the "report names the damage" clause, which a black box
//             cannot show
//   unknown   files of an unknown format were damaged: any whole prefix may remain (acked
//             batches may be lost), never part of a batch or a state that is no prefix;
//             refusing to open is detection, so it passes
//
// Workloads should make every batch change the state (e.g. end each batch with a put of a
// unique value), so that k is determined by the state; otherwise the first k that passes
// is taken.

import { type BitRot, checkRecovery, type RecoveryReportView } from './check-recovery.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { History } from './history.ts';
import type { OpenFailure } from './open-failure.ts';
import type { Entry } from './prefix-model.ts';
import {
  closestK,
  firstOutOfOrder,
  outOfOrderMessage,
  splitMatch,
  wholeMatches,
} from './state-match.ts';
import {
  describeBatch,
  diffStates,
  keysText,
  type RecoveryVerdict,
  type Violation,
  violation,
} from './verdict.ts';

export type BlackBoxDamage =
  | { readonly kind: 'none' }
  | { readonly kind: 'known'; readonly bitRot: BitRot }
  | { readonly kind: 'unknown' };

export type BlackBoxObserved =
  | { readonly opened: true; readonly entries: readonly Entry[] }
  | { readonly opened: false; readonly error: OpenFailure };

/** The lastSeq shown in a verdict when no whole prefix matches: a black box reports none. */
export const UNREPORTED_LAST_SEQ = -1;

/** Stands in for the recovery report a black box cannot give, so that clause of rule 6 is waived. */
const UNREPORTED_DAMAGE: RecoveryReportView = {
  status: 'unreported',
  firstInvalid: { segment: '(a black box reports no damage)', offset: -1, reason: 'unreported' },
};

/** Candidate prefixes tried when several k leave the same state. */
const CANDIDATES_MAX = 64;

export function checkBlackBoxRecovery(
  history: History,
  observed: BlackBoxObserved,
  damage: BlackBoxDamage,
): RecoveryVerdict {
  if (damage.kind === 'unknown') return checkUnknownDamage(history, observed);
  const context = damage.kind === 'known' ? { bitRot: damage.bitRot } : {};
  if (!observed.opened) return checkRecovery(history, observed, context);
  const report = damage.kind === 'known' ? UNREPORTED_DAMAGE : undefined;
  const matches = wholeMatches(
    history.lines(),
    observed.entries,
    fingerprintOf(observed.entries),
  ).slice(0, CANDIDATES_MAX);
  let first: RecoveryVerdict | null = null;
  for (const match of matches) {
    const lastSeq = match.line.model.endSeq(match.k);
    const verdict = checkRecovery(
      history,
      { opened: true, lastSeq, entries: observed.entries, report },
      context,
    );
    if (verdict.ok) return verdict;
    first ??= verdict;
  }
  return (
    first ??
    checkRecovery(
      history,
      { opened: true, lastSeq: UNREPORTED_LAST_SEQ, entries: observed.entries, report },
      context,
    )
  );
}

/**
 * A scan that neither listed entries nor refused to open (exit 2): it crashed, printed what
 * the protocol does not allow, or hung. The state it should have shown is unknown, so no
 * prefix can be confirmed: judged under rule 2 like a state that is no prefix. `problem` is
 * what the runner saw, in words.
 */
export function scanFailedViolation(problem: string): Violation {
  return violation(2, `after the crash, the engine's scan failed: ${problem}`);
}

function checkUnknownDamage(history: History, observed: BlackBoxObserved): RecoveryVerdict {
  if (!observed.opened) return { ok: true, k: null, line: null, lastSeq: null };
  const entries = observed.entries;
  const lines = history.lines();
  const main = lines[0]!;
  const expectedK = [0, main.kMax] as const;
  const unordered = firstOutOfOrder(entries);
  if (unordered >= 0) {
    return violation(2, outOfOrderMessage(entries, unordered), {
      expectedK,
      found: `${keysText(entries)}, out of key order at entry ${unordered}`,
    });
  }
  const fp = fingerprintOf(entries);
  const match = wholeMatches(lines, entries, fp).find((m) => m.k <= m.line.kMax);
  if (match !== undefined)
    return {
      ok: true,
      k: match.k,
      line: match.line.name,
      lastSeq: match.line.model.endSeq(match.k),
    };
  const split = splitMatch(lines, entries, fp);
  if (split !== null) {
    const model = split.line.model;
    return violation(
      3,
      `after damage the recovered state holds part of ${describeBatch(model, split.p)}: its first ${split.m} of ${model.batch(split.p).ops.length} ops`,
      {
        expectedK,
        found: `${keysText(entries)}; equals the model after k=${split.p - 1} plus ${split.m} op(s) of b${split.p}`,
        diff: diffStates(
          `model after k=${split.p - 1} → found`,
          model.stateAt(split.p - 1),
          entries,
        ),
      },
    );
  }
  const closest = closestK(main.model, 0, main.kMax, entries);
  return violation(
    6,
    'after damage the recovered state is not the model after any whole prefix b1..bk (damaged or reordered data served)',
    {
      expectedK,
      found: `${keysText(entries)}; matches no whole prefix`,
      diff: diffStates(`model after k=${closest} → found`, main.model.stateAt(closest), entries),
    },
  );
}
