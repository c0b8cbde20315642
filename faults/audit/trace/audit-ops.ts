// The contract between recording an engine (strace, trace parsing, descriptor tracking) and
// rebuilding crash states from it: what the engine did to files under its database directory,
// in the order the kernel saw it, with every acknowledgement placed among those operations.
//
// Paths are relative to the database directory ('' is the directory itself, 'a/b' a file
// below it); operations on paths outside it are dropped by the recorder. Offsets are absolute
// (the recorder resolves O_APPEND and file positions), so replay needs no descriptor state.
//
// Extended by the recorder (faults/audit/record-load.ts): TracedOp.line, the trace line where
// the operation counts, so a report can point into the saved trace.

export type AuditOp =
  /** A new empty file (open with O_CREAT that created it). */
  | { kind: 'create'; path: string }
  /** Size set to `size` (O_TRUNC, ftruncate, fallocate that extends the file). */
  | { kind: 'truncate'; path: string; size: number }
  /** Bytes written at `offset`. `durable`: opened with O_DSYNC or O_SYNC, durable on return. */
  | { kind: 'write'; path: string; offset: number; data: Uint8Array; durable: boolean }
  /** fsync or fdatasync of a file: its content and size become durable. */
  | { kind: 'fsync'; path: string }
  /** fsync of a directory: its entries become durable. */
  | { kind: 'fsyncDir'; path: string }
  /** sync() or syncfs(): everything becomes durable. */
  | { kind: 'syncAll' }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'link'; from: string; to: string }
  | { kind: 'unlink'; path: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rmdir'; path: string }
  /** The engine wrote `lines` acknowledgement lines to its stdout (the protocol's acks). */
  | { kind: 'ack'; lines: number };

export interface TracedOp {
  op: AuditOp;
  /** Position in the recorded trace (0-based, in completion order as this contract defines). */
  index: number;
  /** Process or thread that made the call. */
  pid: number;
  /** 1-based line of the strace output where it counts (the start of an ack, else the return). */
  line?: number;
  /** The call in words, for reports: `#41 pwrite64 kv.sqlite-wal @4152 len=24`. */
  text: string;
}

/** A file or directory under the database directory when recording started. */
export type StartEntry =
  { kind: 'file'; path: string; data: Uint8Array } | { kind: 'dir'; path: string };

export interface RecordedRun {
  /** The directory's content before the engine started (all of it durable). */
  start: StartEntry[];
  ops: TracedOp[];
}
