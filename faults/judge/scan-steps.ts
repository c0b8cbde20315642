// Bounded scans in the campaign: every scenario carries a few scan specs (bounds, reverse,
// limit; scenario.ts generates them, so they shrink with the rest), and every judged
// recovery and live read runs each of them at the latest state and at one snapshot, judged
// against the model (model/check-scans.ts). Keys come from the campaign's small key space,
// so bounds land on, between and next to keys that were deleted (tombstones) or overwritten.

import type { ScanBounds } from '../../model/check-scans.ts';
import { checkScan } from '../../model/check-scans.ts';
import type { History } from '../../model/history.ts';
import type { Entry } from '../../model/prefix-model.ts';
import { PASS, type Verdict } from '../../model/verdict.ts';
import type { CrashTestDatabase, CrashTestEntry } from '../engine/engine-interface.ts';

/** The scan of walcheck's engine, which takes every option of src/memtable/scan-options.ts. */
type BoundedScan = (options: ScanBounds & { at?: number }) => Iterable<CrashTestEntry>;

/** Each spec at the latest state and at one snapshot (spread over 0..lastSeq by the spec's index). */
export function judgeScans(
  db: CrashTestDatabase,
  scans: readonly ScanBounds[],
  history: History,
): Verdict {
  const lastSeq = history.lastSeq;
  const latestState = scans.length === 0 ? [] : history.entriesAt(history.length); // built once
  for (const [i, bounds] of scans.entries()) {
    const latest = checkScan(
      latestState,
      bounds,
      scanWith(db, bounds, undefined),
      'the latest state',
    );
    if (!latest.ok) return latest;
    const at = Math.floor((lastSeq * i) / scans.length);
    const snapshot = checkScan(
      history.readAt(at),
      bounds,
      scanWith(db, bounds, at),
      `snapshot ${at}`,
    );
    if (!snapshot.ok) return snapshot;
  }
  return PASS;
}

function scanWith(db: CrashTestDatabase, bounds: ScanBounds, at: number | undefined): Entry[] {
  const out: Entry[] = [];
  const scan = db.scan.bind(db) as BoundedScan;
  for (const entry of scan(at === undefined ? { ...bounds } : { ...bounds, at }))
    out.push([entry.key, entry.value]);
  return out;
}
