// A batch is the unit of atomicity: one WAL record, applied whole or not at all.

export type BatchOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export type Batch = readonly BatchOp[];

/** Sequence numbers are JavaScript numbers: exact up to 2^53 - 1 (src/wal/wal-format.md section 4). */
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

export interface WriteResult {
  seqStart: number;
  count: number;
}
