// The single writer's edges (src/db/write-pipeline.ts), on the in-memory SimFs: a leader
// that stays busy for more than a thousand batches (its queue is compacted under it), the
// early refusal of batches whose sequence numbers would pass 2^53 - 1, a batch whose bytes
// changed size after write() accepted it, and what a failed group reports for each kind of
// thing the filesystem can throw.

import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../faults/disk/fault-plan.ts';
import { SimFs } from '../faults/disk/sim-fs.ts';
import { type Batch, SEQ_MAX } from '../src/batch.ts';
import { BatchBoundaries } from '../src/db/batch-boundaries.ts';
import { Database } from '../src/db/database.ts';
import { LogWriter } from '../src/db/log-writer.ts';
import { WritePipeline } from '../src/db/write-pipeline.ts';
import { InvariantError } from '../src/assert.ts';
import { asWalError, WalError } from '../src/errors.ts';
import type { FileHandle, FileSystem } from '../src/fs/types.ts';
import { Memtable } from '../src/memtable/memtable.ts';
import { segmentName } from '../src/wal/format.ts';
import { scanLog } from '../src/wal/log-scan.ts';
import { recordBytes } from '../src/wal/record-encoder.ts';

const DIR = '/db';
const text = (s: string): Buffer => Buffer.from(s);
const keyOf = (i: number): Buffer => text(`k${String(i).padStart(5, '0')}`);
const valueOf = (i: number): Buffer => text(`v${String(i).padStart(5, '0')}`);
const putBatch = (i: number): Batch => [{ type: 'put', key: keyOf(i), value: valueOf(i) }]; // every one the same size

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ ok: value }),
    (error: unknown) => error,
  );
}

describe('a leader that never goes idle', () => {
  it('takes 1,500 queued batches two per group, compacting its queue past 1,024, and acknowledges each in order', async () => {
    const fs = new SimFs();
    const batches = Array.from({ length: 1500 }, (_, i) => putBatch(i));
    const bytes = recordBytes(batches[0]!); // every batch encodes to the same size
    const db = await Database.open(DIR, { fs, groupBytesMax: 2 * bytes });
    const opsBefore = fs.opCount;
    const results = await Promise.all(batches.map((batch) => db.write(batch)));
    results.forEach((result, i) =>
      expect(result, `batch ${i}`).toEqual({ seqStart: i + 1, count: 1 }),
    );
    expect(db.lastSeq).toBe(1500);

    // One O_DSYNC write a group (its write and dsync halves): the first submit finds the writer idle and goes alone,
    // the other 1,499 wait and are taken two at a time (the last one alone).
    const writes = fs.trace.slice(opsBefore).filter((e) => e.op === 'write');
    const groups = writes.map((e) => (e.length ?? 0) / bytes);
    expect(groups.length).toBe(1 + Math.ceil(1499 / 2));
    expect(groups[0]).toBe(1);
    expect(groups.slice(1, -1).every((n) => n === 2)).toBe(true);
    expect(fs.trace.slice(opsBefore).filter((e) => e.op === 'dsync').length).toBe(groups.length);
    expect(fs.trace.slice(opsBefore).filter((e) => e.op === 'datasync').length).toBe(0);

    for (const i of [0, 1023, 1024, 1025, 1499]) expect(db.get(keyOf(i))).toEqual(valueOf(i));
    await db.close();
    const scan = await scanLog(fs, DIR);
    expect(scan).toMatchObject({ status: 'clean', records: 1500, lastSeq: 1500 });
  });
});

describe('sequence numbers near 2^53 - 1', () => {
  /** A pipeline over a fresh log whose next sequence number is SEQ_MAX - 2 (three numbers left). */
  async function nearTheEnd(): Promise<{
    pipeline: WritePipeline;
    memtable: Memtable;
    boundaries: BatchBoundaries;
  }> {
    const fs = new SimFs({ trace: false });
    await fs.mkdir(DIR);
    const log = await LogWriter.open(fs, DIR, null, 1 << 20);
    const memtable = new Memtable();
    const boundaries = new BatchBoundaries();
    boundaries.add(SEQ_MAX - 3); // as if a recovered log ended there
    const pipeline = new WritePipeline(
      log,
      memtable,
      boundaries,
      { groupBytesMax: 1 << 20, queueBatchesMax: 100 },
      SEQ_MAX - 3,
    );
    return { pipeline, memtable, boundaries };
  }
  const batchOf = (n: number, tag: string): Batch =>
    Array.from(
      { length: n },
      (_, i) => ({ type: 'put', key: text(`${tag}${i}`), value: text(tag) }) as const,
    );
  const submit = (pipeline: WritePipeline, batch: Batch) =>
    pipeline.submit(batch, recordBytes(batch));

  it('a batch needing more numbers than are left is refused with INVALID_ARGUMENT, and the writer stays healthy', async () => {
    const { pipeline, memtable, boundaries } = await nearTheEnd();
    const error = await outcome(submit(pipeline, batchOf(4, 'a')));
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('2^53 - 1'),
    });
    // Exactly the numbers left still fit, the last one being SEQ_MAX itself.
    expect(await submit(pipeline, batchOf(3, 'b'))).toEqual({ seqStart: SEQ_MAX - 2, count: 3 });
    expect(boundaries.lastSeq).toBe(SEQ_MAX);
    expect(memtable.get(text('b2'), SEQ_MAX)?.toString()).toBe('b');
    expect(memtable.get(text('a0'), SEQ_MAX)).toBeUndefined();
    expect(await outcome(submit(pipeline, batchOf(1, 'c')))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  // The group in flight counts too: it is neither queued nor committed while it is being written.
  it('a batch submitted while a group is in flight is refused by the early check when the numbers left do not cover both', async () => {
    const { pipeline } = await nearTheEnd();
    const first = submit(pipeline, batchOf(2, 'a')); // taken at once: in flight
    const second = outcome(submit(pipeline, batchOf(2, 'b'))); // needs SEQ_MAX .. SEQ_MAX + 1
    expect(await first).toEqual({ seqStart: SEQ_MAX - 2, count: 2 });
    expect(await second).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'sequence numbers would pass 2^53 - 1',
    });
    expect(await submit(pipeline, batchOf(1, 'c'))).toEqual({ seqStart: SEQ_MAX, count: 1 });
  });
});

/** ES2024 resizable ArrayBuffer (Node 20 has it; the ES2022 lib types do not). */
type ResizableBuffer = ArrayBuffer & { resize(byteLength: number): void };
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => ResizableBuffer;

describe('a batch changed by its caller after write() accepted it', () => {
  it('a value that shrank (a resizable ArrayBuffer) is refused alone; a group left empty writes nothing', async () => {
    const fs = new SimFs();
    const db = await Database.open(DIR, { fs });
    const opsBefore = fs.opCount;
    const buffer = new ResizableArrayBuffer(8, { maxByteLength: 8 });
    const value = new Uint8Array(buffer).fill(0x76); // tracks the buffer's length
    const first = db.write(putBatch(1)); // leads alone: in flight
    const shrunk = outcome(db.write([{ type: 'put', key: text('shrinks'), value }])); // queued: its own group next
    buffer.resize(3);
    expect(await first).toEqual({ seqStart: 1, count: 1 });
    const error = await shrunk;
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('changed size after write() accepted it'),
    });
    expect(await db.write(putBatch(3))).toEqual({ seqStart: 2, count: 1 }); // the refused batch took no seq
    const writes = fs.trace.slice(opsBefore).filter((e) => e.op === 'write' || e.op === 'dsync');
    expect(writes.map((e) => e.op)).toEqual(['write', 'dsync', 'write', 'dsync']); // none for the empty group
    expect(db.get(text('shrinks'))).toBeUndefined();
    await db.close();
    expect(await scanLog(fs, DIR)).toMatchObject({ status: 'clean', records: 2, lastSeq: 2 });
  });
});

/** A handle's write replaced: it may call the real one (`inner`) first. */
type BrokenWrite = (data: Uint8Array, position: number, inner: FileHandle) => Promise<number>;

/** `fs` with every handle's write or datasync replaced (a broken device or driver). */
function withBrokenHandle(
  fs: FileSystem,
  broken: { write?: BrokenWrite; datasync?: FileHandle['datasync'] },
): FileSystem {
  return new Proxy(fs, {
    get(target, property) {
      if (property === 'open') {
        return async (
          path: string,
          mode: Parameters<FileSystem['open']>[1],
        ): Promise<FileHandle> => {
          const handle = await target.open(path, mode);
          return {
            read: (...args) => handle.read(...args),
            write: (data, position) =>
              broken.write !== undefined
                ? broken.write(data, position, handle)
                : handle.write(data, position),
            datasync: broken.datasync ?? (() => handle.datasync()),
            truncate: (size) => handle.truncate(size),
            size: () => handle.size(),
            close: () => handle.close(),
          };
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** A write whose bytes reach the page cache and whose sync half then fails with `thrown`. */
function failAfterWriting(thrown: unknown): BrokenWrite {
  return async (data, position, inner) => {
    await inner.write(data, position);
    throw thrown;
  };
}
describe('a broken invariant stays an invariant error', () => {
  async function pipelineOver(
    memtable: Memtable,
    boundaries: BatchBoundaries,
    lastSeq: number,
    faults: FaultPlan = [],
  ) {
    const fs = new SimFs({ trace: false, faults });
    await fs.mkdir(DIR);
    const log = await LogWriter.open(fs, DIR, null, 1 << 20);
    const limits = { groupBytesMax: 1 << 20, queueBatchesMax: 100 };
    return new WritePipeline(log, memtable, boundaries, limits, lastSeq);
  }

  it('asWalError passes an InvariantError through and maps a plain Error to IO', () => {
    const invariant = new InvariantError('x');
    expect(asWalError(invariant, 'doing')).toBe(invariant);
    expect(invariant).toMatchObject({ code: 'INVARIANT', name: 'InvariantError' });
    expect(asWalError(new Error('y'), 'doing')).toMatchObject({ code: 'IO' });
  });

  it('a writer that would not start right after the last batch boundary refuses to exist', async () => {
    const thrown = await pipelineOver(new Memtable(), new BatchBoundaries(), 5).catch((e) => e);
    expect(thrown).toBeInstanceOf(InvariantError);
    expect(thrown).toMatchObject({ message: expect.stringContaining('last batch boundary') });
  });

  it('an invariant broken while applying a group reaches every caller as INVARIANT, and the writer fails closed', async () => {
    // The memtable already holds seq 1 where the boundaries say nothing was written: a bug
    // the memtable's own check finds when the group is applied.
    const memtable = new Memtable();
    memtable.insert(text('k'), 0, 1, 0, 1, 1, 1);
    const pipeline = await pipelineOver(memtable, new BatchBoundaries(), 0);
    const first = await outcome(pipeline.submit(putBatch(1), recordBytes(putBatch(1))));
    expect(first).toBeInstanceOf(InvariantError);
    expect(first).toMatchObject({ code: 'INVARIANT' });
    expect(await outcome(pipeline.submit(putBatch(2), recordBytes(putBatch(2))))).toBe(first);
  });

  it('a broken invariant outranks the I/O failure of the same group', async () => {
    const memtable = new Memtable();
    memtable.insert(text('k'), 0, 1, 0, 1, 1, 1);
    const failing: FaultPlan = [{ op: 'dsync', nth: 0, fault: 'EIO' }];
    const pipeline = await pipelineOver(memtable, new BatchBoundaries(), 0, failing);
    const first = await outcome(pipeline.submit(putBatch(1), recordBytes(putBatch(1))));
    expect(first).toBeInstanceOf(InvariantError);
  });
});

describe('a failed group reports what the filesystem threw', () => {
  // `survives`: batches a reopen finds. A failed O_DSYNC write (its sync half failed) leaves the
  // written group readable from the page cache (as on Linux); recovery replays it and makes it
  // durable, which is allowed: an unacknowledged batch may or may not survive. The queued batch
  // was never written.
  const cases: {
    name: string;
    broken: Parameters<typeof withBrokenHandle>[1];
    message: string;
    cause: (thrown: unknown) => void;
    survives: number;
  }[] = [
    {
      name: "a write that makes no progress (returns 0): the engine's own IO error, not wrapped",
      broken: { write: async () => 0 },
      message: 'write made no progress at byte 0',
      cause: (cause) => expect(cause).toBeUndefined(),
      survives: 0,
    },
    {
      name: 'an Error without a code: its message',
      broken: { write: failAfterWriting(new Error('controller reset')) },
      message: 'write to the log failed: controller reset',
      cause: (cause) => expect(cause).toMatchObject({ message: 'controller reset' }),
      survives: 1,
    },
    {
      name: 'something that is not an Error: its string form',
      broken: { write: failAfterWriting('device on fire') },
      message: 'write to the log failed: device on fire',
      cause: (cause) => expect(cause).toBe('device on fire'),
      survives: 1,
    },
  ];

  it.each(cases)('$name', async ({ broken, message, cause, survives }) => {
    const sim = new SimFs({ trace: false });
    const db = await Database.open(DIR, { fs: withBrokenHandle(sim, broken) });
    const [first, queued] = await Promise.all([
      outcome(db.write(putBatch(1))),
      outcome(db.write(putBatch(2))),
    ]);
    expect(first).toBeInstanceOf(WalError);
    expect(first).toMatchObject({ code: 'IO', message });
    cause((first as WalError).cause);
    expect(queued).toBe(first); // the batch queued behind the failed group gets the same error
    expect(await outcome(db.write(putBatch(3)))).toBe(first); // and so does every later write
    expect(db.get(keyOf(1))).toBeUndefined(); // nothing of the failed group was applied
    expect(db.lastSeq).toBe(0);
    await db.close();

    // Reopened on the healthy filesystem: the whole records that reached the file, then new writes after them.
    const reopened = await Database.open(DIR, { fs: sim });
    try {
      expect(reopened.lastSeq).toBe(survives);
      expect(reopened.get(keyOf(1))).toEqual(survives === 1 ? valueOf(1) : undefined);
      expect(reopened.get(keyOf(2))).toBeUndefined();
      expect(await reopened.write(putBatch(4))).toEqual({ seqStart: survives + 1, count: 1 });
    } finally {
      await reopened.close();
    }
    expect((await scanLog(sim, DIR)).segments.map((s) => s.name)).toEqual([segmentName(1)]);
  });
});

describe('memtable inserts overlap the durable write', () => {
  async function pipelineOver(memtable: Memtable) {
    const fs = new SimFs({ trace: false });
    await fs.mkdir(DIR);
    const log = await LogWriter.open(fs, DIR, null, 1 << 20);
    const boundaries = new BatchBoundaries();
    const limits = { groupBytesMax: 1 << 20, queueBatchesMax: 100 };
    return { fs, boundaries, pipeline: new WritePipeline(log, memtable, boundaries, limits, 0) };
  }

  it('a group is inserted while its write is in flight but visible only once it is durable', async () => {
    const memtable = new Memtable();
    const { boundaries, pipeline } = await pipelineOver(memtable);
    const acked = pipeline.submit(putBatch(1), recordBytes(putBatch(1)));
    expect(memtable.lastSeq).toBe(1); // inserted...
    expect(boundaries.lastSeq).toBe(0); // ...but no read reaches seq 1 yet
    expect(await acked).toEqual({ seqStart: 1, count: 1 });
    expect(boundaries.lastSeq).toBe(1);
    expect(memtable.get(keyOf(1), boundaries.lastSeq)).toEqual(valueOf(1));
  });

  it('an insert that throws (an engine fault) fails closed after the write returned, nothing made visible', async () => {
    class BrokenMemtable extends Memtable {
      override insert(): void {
        throw new Error('memtable fault');
      }
    }
    const { fs, boundaries, pipeline } = await pipelineOver(new BrokenMemtable());
    const first = await outcome(pipeline.submit(putBatch(1), recordBytes(putBatch(1))));
    expect(first).toBeInstanceOf(WalError);
    expect(first).toMatchObject({ message: expect.stringContaining('memtable fault') });
    expect(boundaries.lastSeq).toBe(0);
    expect(fs.crashState().files).toEqual([]); // the write had completed, durable, before the failure
    expect(await outcome(pipeline.submit(putBatch(2), recordBytes(putBatch(2))))).toBe(first);
  });
});
