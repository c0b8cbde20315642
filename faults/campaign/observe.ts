// Reading a recovered engine the way the oracle wants it: a full scan, a get per key, scans
// at snapshots, the recovery report; and the files before and after a recovery, for rule 8.

import { checkQuarantine, type Entry, type Observed, quarantineFiles, segmentFiles, type SnapshotRead, type Verdict } from '../../model/oracle.ts';
import type { SimFs } from '../sim-fs.ts';
import type { EngineDatabase } from './engine-under-test.ts';
import { KEY_SPACE, keyOf } from './scenario.ts';

export const DB_DIR = '/db';

/** Snapshot reads per recovery at most (all of them when lastSeq is small). */
const SNAPSHOTS_MAX = 24;

/** Everything a recovered engine shows: full scan, a get per key, snapshot reads, report. */
export function observe(db: EngineDatabase): Observed {
  const lastSeq = db.lastSeq;
  const gets: [Uint8Array, Uint8Array | undefined][] = [];
  for (let k = 0; k < KEY_SPACE; k++) gets.push([keyOf(k), db.get(keyOf(k))]);
  const quarantinedBytes = db.recovery.actions.reduce((sum, a) => sum + a.bytes, 0);
  return {
    opened: true,
    lastSeq,
    entries: scanAll(db, undefined),
    gets,
    snapshots: snapshotSeqs(lastSeq).map((seq): SnapshotRead => ({ seq, entries: scanAll(db, seq) })),
    report: { status: db.recovery.status, quarantinedBytes, firstInvalid: db.recovery.firstInvalid },
  };
}

export function scanAll(db: EngineDatabase, at: number | undefined): Entry[] {
  const entries: Entry[] = [];
  for (const entry of db.scan(at === undefined ? {} : { at })) entries.push([entry.key, entry.value]);
  return entries;
}

/** Every seq when there are few, else an even spread that includes 0 and lastSeq. */
function snapshotSeqs(lastSeq: number): number[] {
  if (lastSeq < SNAPSHOTS_MAX) return Array.from({ length: lastSeq }, (_, i) => i);
  return Array.from({ length: SNAPSHOTS_MAX }, (_, i) => Math.round((i * lastSeq) / (SNAPSHOTS_MAX - 1)));
}

export interface FilesNow {
  segments: Map<string, Uint8Array>;
  quarantined: Map<string, Uint8Array>;
}

/** Copies of the log's segments and quarantined files as reads see them now. */
export function filesNow(fs: SimFs): FilesNow {
  const files = new Map<string, Uint8Array>();
  for (const [path, bytes] of fs.volatileView()) files.set(path, new Uint8Array(bytes));
  return { segments: segmentFiles(files, DB_DIR), quarantined: quarantineFiles(files, DB_DIR) };
}

/** Rule 8 over one recovery: what left the segments is now in quarantine/, byte for byte. */
export function checkSetAside(before: FilesNow, after: FilesNow, db: EngineDatabase): Verdict {
  const added = new Map<string, Uint8Array>();
  for (const [name, bytes] of after.quarantined) if (!before.quarantined.has(name)) added.set(name, bytes);
  const reported = db.recovery.actions.reduce((sum, a) => sum + a.bytes, 0);
  return checkQuarantine(before.segments, after.segments, added, reported);
}

