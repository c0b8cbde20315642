// What a TypeScript/JavaScript key-value engine implements to be crash-tested in-process:
// the campaign (runCampaign) and the exhaustive explorer (runExplore) open it on a simulated
// filesystem, write batches, crash it at a chosen filesystem operation, open it again on what
// the crash left, and read back the state. The shape is small on purpose:
//
//   open(dir, { fs, ... })   every byte goes through `fs` (src/fs/types.ts), never node:fs
//   db.write(batch)          resolves once the batch is durable; may return { seqStart }
//   db.scan() / db.get(key)  the current state, a full scan in key order
//   db.close()
//
// Optional features let more rules judge more: lastSeq (rule 5 and the exact prefix k),
// reads at snapshots (rule 4), read-only opens and recovery modes (rules 2 and 8), a recovery
// report (rule 6). Rule 1 ("acknowledged means durable") is checked at every acknowledgement
// by opening the engine on a copy of the durable image at that moment and requiring every
// batch up to the acknowledged one in what it recovers, so the engine's file format does not
// matter. walcheck's own engine declares its WAL format and is judged by decoding it instead
// (walcheckEngine), which also checks its quarantine (rule 8).
//
// Errors: let the filesystem's errors through (or wrap them with `cause`), so that injected
// failures (EIO, ENOSPC) are told apart from refusals; give every error a string `code`.

import type { Batch } from '../../src/batch.ts';
import type { FileSystem } from '../../src/fs/types.ts';

export type RecoveryMode = 'strict' | 'tolerate-tail' | 'point-in-time';

export interface CrashTestOpenOptions {
  /** The filesystem every read and write must go through (a simulated one, crashing). */
  readonly fs: FileSystem;
  /** Open without changing anything on disk: asked only of engines with features.readOnly. */
  readonly readOnly?: boolean;
  /** Asked only of engines with features.recoveryModes; otherwise absent (the default mode). */
  readonly recovery?: RecoveryMode;
  /** Size hints, so that small workloads reach segment rotation and group limits; may be ignored. */
  readonly segmentBytesMax?: number;
  readonly groupBytesMax?: number;
}

export interface CrashTestEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface CrashTestRecoveryReport {
  /** 'clean' when the log was whole; anything else says damage or a torn tail was found. */
  readonly status: string;
  /** The first invalid place found, or null. */
  readonly firstInvalid?: {
    readonly segment: string;
    readonly offset: number;
    readonly reason: string;
  } | null;
  /** What the recovery set aside (bytes each); only the walcheck WAL format's are checked. */
  readonly actions?: readonly { readonly bytes: number }[];
}

/** An open database, as the harness drives it. */
export interface CrashTestDatabase {
  /**
   * Resolves once the batch is durable (rule 1); returns its first sequence number, or nothing.
   * The number is judged (rules 5 and 7) only when the engine reports lastSeq.
   */
  write(batch: Batch): Promise<{ readonly seqStart: number } | void>;
  /** A full scan in key order; with `at` (features.snapshots) the state at that sequence number. */
  scan(options?: { at?: number }): Iterable<CrashTestEntry>;
  get(key: Uint8Array, options?: { at?: number }): Uint8Array | undefined;
  /** The last sequence number applied, when the engine numbers its writes (1 per op, from 1). */
  readonly lastSeq?: number;
  /** What the last recovery found and did (rule 6 asks it to name damage). */
  readonly recovery?: CrashTestRecoveryReport;
  close(): Promise<void>;
}

export interface CrashTestFeatures {
  /** open({ readOnly: true }) changes nothing on disk and fails on a missing directory. */
  readonly readOnly?: boolean;
  /** open({ recovery }) honours the three recovery modes of src/wal/wal-format.md section 7. */
  readonly recoveryModes?: boolean;
  /** scan({ at }) and get(key, { at }) read at a snapshot sequence number (needs lastSeq). */
  readonly snapshots?: boolean;
  /**
   * The engine writes walcheck's WAL (src/wal/wal-format.md): rule 1 then decodes the durable log at
   * each acknowledgement, rule 8 checks quarantine/, bit rot can be aimed at its records.
   */
  readonly format?: 'walcheck-wal';
}

export interface CrashTestEngine {
  /** Shown in reports. */
  readonly name: string;
  /** Opens (creating when missing, unless read-only) the database in `dir`, recovering it. */
  open(dir: string, options: CrashTestOpenOptions): Promise<CrashTestDatabase>;
  readonly features?: CrashTestFeatures;
}
