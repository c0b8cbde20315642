// Writes the engine may refuse before writing anything, and the scenario steps that provoke
// them: a batch over the scenario's batchBytesMax (BATCH_TOO_LARGE), a full queue under a
// small queueBatchesMax (BUSY), and a caller that changes a queued batch's bytes after
// write() accepted it (INVALID_ARGUMENT, refused inside the group that would have carried
// it). A refused batch takes no sequence numbers: the history drops it from the chain, and
// the next acknowledgement is held to the model's numbering (rule 5, check-fail-closed.ts).
// Any other refusal with nothing failing underneath stays a rule-5 violation.

import type { Batch, BatchOp } from '../../src/batch.ts';
import type { Scenario } from './scenario.ts';

/**
 * Encoded record size as src/wal/wal-format.md sections 2-3 lay it out: header, then per op
 * its header, key and value.
 */
const RECORD_HEADER_BYTES = 24;
const LOGICAL_HEADER_BYTES = 9;

export function encodedBytes(batch: Batch): number {
  let bytes = RECORD_HEADER_BYTES;
  for (const op of batch)
    bytes += LOGICAL_HEADER_BYTES + op.key.length + (op.type === 'put' ? op.value.length : 0);
  return bytes;
}

/** Whether refusing this write before writing it is what the scenario asked for. */
export function refusalExpected(
  scenario: Scenario,
  batch: Batch,
  code: string,
  tampered: boolean,
): boolean {
  if (code === 'BATCH_TOO_LARGE')
    return scenario.batchBytesMax !== undefined && encodedBytes(batch) > scenario.batchBytesMax;
  if (code === 'BUSY') return scenario.queueBatchesMax !== undefined;
  return code === 'INVALID_ARGUMENT' && tampered;
}

/** A copy of the batch with its own key and value buffers (the scenario's must stay intact). */
export function ownCopy(batch: Batch): BatchOp[] {
  return batch.map((op) =>
    op.type === 'put'
      ? { type: 'put', key: new Uint8Array(op.key), value: new Uint8Array(op.value) }
      : { type: 'del', key: new Uint8Array(op.key) },
  );
}

/**
 * The caller changes the batch after write() returned: its longest key or value buffer is
 * detached (transferred away, so it reads as empty). A batch the engine already encoded is
 * unaffected; a queued one no longer has the size write() validated and must be refused.
 */
export function detachLongest(batch: readonly BatchOp[]): void {
  let longest: Uint8Array | null = null;
  for (const op of batch) {
    for (const bytes of op.type === 'put' ? [op.key, op.value] : [op.key])
      if (longest === null || bytes.byteLength > longest.byteLength) longest = bytes;
  }
  if (longest !== null && longest.byteLength > 0)
    structuredClone(longest.buffer, { transfer: [longest.buffer] });
}
