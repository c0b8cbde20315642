// Reading a recovered engine the way the oracle wants it: a full scan, a get per key, scans
// at snapshots (and a get per key at each), the recovery report; and the recovery report's
// bytes for rule 8 over the files before and after a recovery (disk/db-files.ts takes them).
// Every verdict is model/'s: checkGetAgrees (check-reads.ts) for each get, checkSetAsideSince
// (check-quarantine.ts) for the files.

import type { Entry, Observed, RecoveryContext, SnapshotRead } from '../../model/oracle.ts';
import { checkSetAsideSince } from '../../model/check-quarantine.ts';
import { checkGetAgrees } from '../../model/check-reads.ts';
import { PASS, type Verdict } from '../../model/verdict.ts';
import type { BlackBoxObserved } from '../../model/check-black-box.ts';
import type { RecoverySeen } from '../../model/judge.ts';
import type { CrashTestDatabase, CrashTestFeatures } from '../engine/engine-interface.ts';
import { KEY_SPACE, keyOf } from './key-space.ts';
import type { FilesNow } from '../disk/db-files.ts';

/** Snapshot reads per recovery at most (all of them when lastSeq is small). */
const SNAPSHOTS_MAX = 24;

/** What the oracle reads of a recovered engine: white box when it reports lastSeq. */
export type RecoveryRead =
  | {
      readonly box: 'white';
      readonly observed: Extract<Observed, { opened: true }>;
      readonly snapshots: readonly SnapshotRead[];
    }
  | { readonly box: 'black'; readonly observed: Extract<BlackBoxObserved, { opened: true }> };

/** Everything a recovered engine shows: full scan, a get per key, snapshot reads, report. */
export function observe(db: CrashTestDatabase, features: CrashTestFeatures): RecoveryRead {
  const lastSeq = db.lastSeq;
  const entries = scanAll(db, undefined);
  if (lastSeq === undefined) return { box: 'black', observed: { opened: true, entries } };
  const gets: [Uint8Array, Uint8Array | undefined][] = [];
  for (const key of KEYS) gets.push([key, db.get(key)]);
  const snapshots =
    features.snapshots === true
      ? snapshotSeqs(lastSeq).map((seq): SnapshotRead => ({ seq, entries: scanAll(db, seq) }))
      : [];
  const report = db.recovery;
  const observed: Extract<Observed, { opened: true }> =
    report === undefined
      ? { opened: true, lastSeq, entries, gets, snapshots }
      : {
          opened: true,
          lastSeq,
          entries,
          gets,
          snapshots,
          report: {
            status: report.status,
            quarantinedBytes: reportedBytes(db),
            firstInvalid: report.firstInvalid ?? null,
          },
        };
  return { box: 'white', observed, snapshots };
}

/** The read as the judge takes it, with the context of the recovery. */
export function seenOf(read: RecoveryRead, context: RecoveryContext): RecoverySeen {
  return read.box === 'white'
    ? { box: 'white', observed: read.observed, context }
    : { box: 'black', observed: read.observed };
}

/**
 * Rule 4 (white box, at the snapshots observe() scanned) or rule 2 (black box, at the
 * latest state): get of every key of the key space agrees with the scan the oracle judged.
 */
export function checkReadsAgree(db: CrashTestDatabase, read: RecoveryRead): Verdict {
  if (read.box === 'white') return checkSnapshotGets(db, read.snapshots);
  return getsAgreeWithScan(db, read.observed.entries, undefined);
}

/**
 * Rule 4 through get: at every snapshot observe() scanned, get(key, {at}) of every key of the
 * key space agrees with that scan (which the oracle held to the model).
 */
export function checkSnapshotGets(
  db: CrashTestDatabase,
  snapshots: readonly SnapshotRead[],
): Verdict {
  for (const { seq, entries } of snapshots) {
    const verdict = getsAgreeWithScan(db, entries, seq);
    if (!verdict.ok) return verdict;
  }
  return PASS;
}

/** Every key of the key space, made once (the engine copies what it keeps). */
const KEYS: readonly Uint8Array[] = Array.from({ length: KEY_SPACE }, (_, k) => keyOf(k));

/** Each get of the key space at `seq` (latest when undefined) against the scan there (checkGetAgrees). */
function getsAgreeWithScan(
  db: CrashTestDatabase,
  entries: readonly Entry[],
  seq: number | undefined,
): Verdict {
  const at = seq === undefined ? undefined : { at: seq }; // one options object per snapshot
  for (const key of KEYS) {
    const verdict = checkGetAgrees(
      key,
      at === undefined ? db.get(key) : db.get(key, at),
      entries,
      seq,
    );
    if (!verdict.ok) return verdict;
  }
  return PASS;
}

export function scanAll(db: CrashTestDatabase, at: number | undefined): Entry[] {
  const entries: Entry[] = [];
  for (const entry of db.scan(at === undefined ? {} : { at }))
    entries.push([entry.key, entry.value]);
  return entries;
}

/** Every seq when there are few, else an even spread that includes 0 and lastSeq. */
function snapshotSeqs(lastSeq: number): number[] {
  const seqs: number[] = [];
  if (lastSeq < SNAPSHOTS_MAX) for (let i = 0; i < lastSeq; i++) seqs.push(i);
  else
    for (let i = 0; i < SNAPSHOTS_MAX; i++)
      seqs.push(Math.round((i * lastSeq) / (SNAPSHOTS_MAX - 1)));
  return seqs;
}

/** Rule 8 over one recovery: nothing left quarantine/, and what left the segments is now in it. */
export function checkSetAside(before: FilesNow, after: FilesNow, db: CrashTestDatabase): Verdict {
  return checkSetAsideSince(before, after, reportedBytes(db));
}

export function reportedBytes(db: CrashTestDatabase): number {
  return db.recovery?.actions?.reduce((sum, a) => sum + a.bytes, 0) ?? 0;
}
