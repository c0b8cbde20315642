// Rule 4 (model/crash-model.md section 2): for every sequence number s up to lastSeq, a read at
// snapshot s returns what the model held after the batches ending at or before s. A
// snapshot inside a batch does not see that batch (reads are batch-atomic), so seeing
// part of one is named as such.

import { fingerprintOf } from './fingerprint.ts';
import type { Line } from './history.ts';
import type { Entry, PrefixModel } from './prefix-model.ts';
import { firstOutOfOrder, splitMatch, wholeMatches } from './state-match.ts';
import { describeBatch, diffStates, keysText, type Violation, violation } from './verdict.ts';

export interface SnapshotRead {
  readonly seq: number;
  /** A full scan at snapshot seq, in key order. */
  readonly entries: readonly Entry[];
}

/** Rule 4: a read at snapshot s sees exactly the batches ending at or before s. */
export function checkSnapshots(
  model: PrefixModel,
  k: number,
  snapshots: readonly SnapshotRead[],
): Violation | null {
  for (const { seq, entries } of snapshots) {
    const ks = model.kAtSeq(seq, k);
    const expectedK = [ks, ks] as const;
    const unordered = firstOutOfOrder(entries);
    if (unordered >= 0) {
      return violation(4, `scan at snapshot ${seq} not in key order at entry ${unordered}`, {
        expectedK,
        found: `${entries.length} entries`,
      });
    }
    if (model.equalsAt(entries, ks)) continue;
    const found = `snapshot ${seq}: ${keysText(entries)}`;
    const diff = diffStates(
      `model after k=${ks} → read at snapshot ${seq}`,
      model.stateAt(ks),
      entries,
    );
    const fp = fingerprintOf(entries);
    const line: Line = { name: 'main', model, kMin: 0, kMax: k };
    const split = splitMatch([line], entries, fp, k);
    if (split !== null) {
      const batch = describeBatch(model, split.p);
      return violation(
        4,
        `read at snapshot ${seq} sees part of ${batch}: its first ${split.m} of ${model.batch(split.p).ops.length} ops`,
        { expectedK, found, diff },
      );
    }
    const other = wholeMatches([line], entries, fp).find((m) => m.k <= k);
    const what = other !== undefined ? `the model after k=${other.k}` : 'no whole prefix';
    return violation(
      4,
      `read at snapshot ${seq} shows ${what}, not the batches ending at or before ${seq}`,
      { expectedK, found, diff },
    );
  }
  return null;
}
