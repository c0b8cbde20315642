// Checks a caller's batch before anything is queued, so a rejected batch writes nothing.

import type { Batch } from '../batch.ts';
import { WalError } from '../errors.ts';
import { recordBytes } from '../wal/record-encoder.ts';

/** Validates `batch` and returns its encoded record size. */
export function validateBatch(batch: unknown, batchBytesMax: number): number {
  if (!Array.isArray(batch))
    throw invalid(`a batch must be an array of operations, got ${describe(batch)}`);
  if (batch.length === 0) throw invalid('a batch must hold at least one operation');
  for (let i = 0; i < batch.length; i++) validateOp(batch[i], i);
  const bytes = recordBytes(batch as Batch);
  if (bytes > batchBytesMax) {
    throw new WalError(
      'BATCH_TOO_LARGE',
      `the batch encodes to ${bytes} bytes, over batchBytesMax (${batchBytesMax})`,
    );
  }
  return bytes;
}

function validateOp(op: unknown, index: number): void {
  if (typeof op !== 'object' || op === null)
    throw invalid(`batch[${index}] must be an operation object, got ${describe(op)}`);
  const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown };
  if (type !== 'put' && type !== 'del')
    throw invalid(`batch[${index}].type must be 'put' or 'del', got ${describe(type)}`);
  if (!(key instanceof Uint8Array))
    throw invalid(`batch[${index}].key must be a Uint8Array or Buffer, got ${describe(key)}`);
  if (type === 'put' && !(value instanceof Uint8Array)) {
    throw invalid(`batch[${index}].value must be a Uint8Array or Buffer, got ${describe(value)}`);
  }
  if (type === 'del' && value !== undefined)
    throw invalid(`batch[${index}] is a 'del' and must not carry a value`);
}

function invalid(message: string): WalError {
  return new WalError('INVALID_ARGUMENT', message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `a string` : typeof value;
}

/**
 * The caller's array and op objects copied (not their key and value bytes): a queued batch
 * is encoded later, and a caller that changes its array or ops meanwhile must not change
 * the record's size after validation (the writer would throw with callers waiting).
 */
export function snapshotBatch(batch: Batch): Batch {
  return batch.map((op) =>
    op.type === 'put'
      ? { type: 'put', key: op.key, value: op.value }
      : { type: 'del', key: op.key },
  );
}
