// The single writer, with group commit. Callers enqueue; whoever finds the writer idle
// becomes the leader and drains the queue group by group: it takes queued batches up to
// groupBytesMax, gives them consecutive sequence numbers, encodes each as its own record
// into one buffer, appends that with one durable write (O_DSYNC, log-writer.ts), and only
// once it returned makes the group visible and resolves the callers.
//
// The memtable inserts overlap the write: they run while the device works (the main
// thread would otherwise wait idle; at 64 writers they were a third of the busy time).
// That is safe because versions are invisible until their batch is: every read is bounded
// by a batch boundary (batch-boundaries.ts), and the group's boundaries are added only
// after its write returned. A group whose write fails leaves versions no read can reach,
// and the pipeline fails closed, so no later group takes their sequence numbers.
//
// Failure policy: fail closed. After a failed write or datasync the bytes past the last
// durable record are unknown (a failed fsync may already have dropped dirty pages, as
// Linux does), so truncating and retrying could acknowledge data that is not durable.
// Instead the group and everything queued behind it are rejected, and every later write
// gets the same original error until the database is reopened, when recovery cuts any
// torn tail. Nothing of the failed group becomes visible.

import type { Batch, WriteResult } from '../batch.ts';
import { SEQ_MAX } from '../batch.ts';
import { assert } from '../assert.ts';
import { asWalError, WalError } from '../errors.ts';
import type { Memtable } from '../memtable/memtable.ts';
import { LOGICAL_KIND_PUT, RECORD_HEADER_BYTES } from '../wal/format.ts';
import { encodeRecord, recordBytes } from '../wal/record-encoder.ts';
import { forEachLogical, type ValidRecord } from '../wal/record-reader.ts';
import type { BatchBoundaries } from './batch-boundaries.ts';
import type { LogWriter } from './log-writer.ts';

const QUEUE_COMPACT_AT = 1024;

interface Pending {
  batch: Batch;
  recordBytes: number;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

export interface PipelineLimits {
  groupBytesMax: number;
  queueBatchesMax: number;
}

export class WritePipeline {
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private leading = false;
  private failure: unknown = null;
  private idleWaiters: (() => void)[] = [];
  private nextSeq: number;
  /** Logical records submitted and not yet committed (queued or in flight), to refuse a sequence overflow early. */
  private pendingRecords = 0;

  constructor(
    private readonly log: LogWriter,
    private readonly memtable: Memtable,
    private readonly boundaries: BatchBoundaries,
    private readonly limits: PipelineLimits,
    lastSeq: number,
  ) {
    assert(lastSeq === boundaries.lastSeq, 'the writer starts after the last batch boundary');
    this.nextSeq = lastSeq + 1;
  }

  submit(batch: Batch, recordBytes: number): Promise<WriteResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.queue.length - this.queueHead >= this.limits.queueBatchesMax) {
      return Promise.reject(
        new WalError(
          'BUSY',
          `the write queue is full (queueBatchesMax ${this.limits.queueBatchesMax})`,
        ),
      );
    }
    if (this.pendingRecords + batch.length - 1 > SEQ_MAX - this.nextSeq) {
      // no rounding past 2^53
      return Promise.reject(
        new WalError('INVALID_ARGUMENT', 'sequence numbers would pass 2^53 - 1'),
      );
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ batch, recordBytes, resolve, reject });
      this.pendingRecords += batch.length;
      if (!this.leading) void this.lead();
    });
  }

  /** Waits until no group is in flight and the queue is empty, then closes the log. */
  async close(): Promise<void> {
    if (this.leading) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.log.close();
  }

  private async lead(): Promise<void> {
    this.leading = true;
    try {
      while (this.queueHead < this.queue.length && this.failure === null) {
        const group = this.takeGroup();
        try {
          await this.commitGroup(group);
        } catch (error) {
          this.failClosed(error, group); // any failure, not only I/O: no caller is left waiting
        }
        for (const pending of group) this.pendingRecords -= pending.batch.length;
        assert(this.pendingRecords >= 0, 'pending logical records never go negative');
      }
    } finally {
      this.leading = false;
      this.queue.length = 0;
      this.pendingRecords = 0;
      this.queueHead = 0;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let bytes = 0;
    while (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead]!;
      if (group.length > 0 && bytes + next.recordBytes > this.limits.groupBytesMax) break;
      group.push(next);
      bytes += next.recordBytes;
      this.queueHead++;
    }
    // A leader that never goes idle must not keep every batch it ever took alive.
    if (this.queueHead >= QUEUE_COMPACT_AT) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return group;
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    let bytes = 0;
    for (const pending of group) bytes += pending.recordBytes;
    const records = Buffer.allocUnsafe(bytes);
    const encoded: { pending: Pending; record: ValidRecord }[] = [];
    let offset = 0;
    let seq = this.nextSeq;
    for (const pending of group) {
      const end = encodeOne(pending, seq, records, offset);
      if (end === null) continue; // that caller's batch alone is refused; it took no seq
      const count = pending.batch.length;
      encoded.push({
        pending,
        record: {
          valid: true,
          offset,
          seqStart: seq,
          count,
          payloadOffset: offset + RECORD_HEADER_BYTES,
          end,
        },
      });
      seq += count;
      offset = end;
    }
    if (encoded.length === 0) return;
    const durable = this.log.append(
      offset === records.length ? records : records.subarray(0, offset),
    );
    let insertFailure: unknown = null;
    try {
      for (const { record } of encoded) this.insertVersions(records, record); // invisible yet
    } catch (error) {
      insertFailure = error; // the write is in flight: wait for it before failing closed
    }
    // A broken insert is a bug and outranks the write's own failure: it must not pass as IO.
    if (insertFailure !== null) {
      await durable.catch(() => undefined);
      throw insertFailure;
    }
    await durable;
    assert(this.nextSeq === this.boundaries.lastSeq + 1, 'the next seq follows the last batch');
    this.nextSeq = seq;
    for (const { record } of encoded) this.boundaries.add(record.seqStart + record.count - 1);
    assert(this.boundaries.lastSeq === seq - 1, 'the last batch ends before the next seq');
    for (const { pending, record } of encoded)
      pending.resolve({ seqStart: record.seqStart, count: record.count });
  }

  /** Inserts a record's versions into the memtable, keys and values viewed in `records`. */
  private insertVersions(records: Buffer, record: ValidRecord): void {
    forEachLogical(records, record, (kind, keyOffset, keyLength, valueOffset, valueLength, seq) => {
      this.memtable.insert(
        records,
        keyOffset,
        keyLength,
        valueOffset,
        valueLength,
        kind === LOGICAL_KIND_PUT ? 1 : 0,
        seq,
      );
    });
  }

  private failClosed(cause: unknown, group: Pending[]): void {
    const error = asWalError(cause, 'write to the log failed');
    this.failure = error;
    for (const pending of group) pending.reject(error);
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i]!.reject(error);
  }
}

/**
 * Encodes one queued batch; on failure (its caller changed or detached a key or value
 * buffer after write() validated it) rejects that batch alone and returns null, so one
 * caller's misuse does not fail the database for everyone.
 */
function encodeOne(pending: Pending, seq: number, records: Buffer, offset: number): number | null {
  let end: number;
  try {
    end = encodeRecord(pending.batch, seq, records, offset);
  } catch (error) {
    // Only a batch that no longer has the size validated is the caller's doing; anything
    // else is an engine fault and fails closed.
    if (recordBytes(pending.batch) === pending.recordBytes) throw error;
    pending.reject(
      new WalError(
        'INVALID_ARGUMENT',
        `the batch changed after write() accepted it: ${(error as Error).message}`,
        error,
      ),
    );
    return null;
  }
  if (end - offset !== pending.recordBytes) {
    pending.reject(
      new WalError(
        'INVALID_ARGUMENT',
        `the batch changed size after write() accepted it (${pending.recordBytes} -> ${end - offset} bytes)`,
      ),
    );
    return null;
  }
  return end;
}
