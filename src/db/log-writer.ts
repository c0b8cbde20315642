// Appends encoded records to the active segment and makes them durable. Rotation happens
// only between groups, when every record of the old segment is already durable, and the new
// segment's directory entry is synced before anything is written to it, so nothing in it can
// be acknowledged without its name.
//
// Segments are opened O_DSYNC (as PostgreSQL's wal_sync_method = open_datasync): a group's
// one pwrite is also its fdatasync, done by the kernel before the call returns. That is one
// thread-pool round trip per durable group where write + datasync took two (plus a promise
// hop between them), which is what LevelDB saves by doing both in one task. A synchronous
// write + fdatasync on the main thread would save the hops too, but would stall every
// writer's JavaScript (queueing the next group) for the whole device flush. The guarantee is
// fdatasync's: the bytes written and the size that reads them are durable when it returns; a
// short write's prefix is durable, and writeFully's next write continues after it. A failed
// O_DSYNC write is treated as a failed datasync (fail closed, write-pipeline.ts).

import { assert } from '../assert.ts';
import type { FileHandle, FileSystem } from '../fs/types.ts';
import { joinPath } from '../fs/types.ts';
import { segmentName } from '../wal/format.ts';
import { writeFully } from '../fs/write-fully.ts';

export interface ActiveSegment {
  number: number;
  handle: FileHandle;
  /** Bytes in the segment, all durable between appends. */
  bytes: number;
}

export class LogWriter {
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private active: ActiveSegment,
    private readonly segmentBytesMax: number,
  ) {}

  /** Opens the last segment for appending at its (recovered) size, or creates segment 1. */
  static async open(
    fs: FileSystem,
    dir: string,
    lastSegment: { number: number; bytes: number } | null,
    segmentBytesMax: number,
  ): Promise<LogWriter> {
    if (lastSegment === null) {
      const active = await createSegment(fs, dir, 1);
      return new LogWriter(fs, dir, active, segmentBytesMax);
    }
    const handle = await fs.open(joinPath(dir, segmentName(lastSegment.number)), 'write-dsync');
    try {
      await makeDurable(fs, dir, handle, lastSegment.bytes);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return new LogWriter(
      fs,
      dir,
      { number: lastSegment.number, handle, bytes: lastSegment.bytes },
      segmentBytesMax,
    );
  }

  /** Writes `records` (whole encoded records) after the durable end; durable on return (O_DSYNC). */
  async append(records: Uint8Array): Promise<void> {
    if (this.active.bytes > 0 && this.active.bytes + records.length > this.segmentBytesMax)
      await this.rotate();
    await writeFully(this.active.handle, records, this.active.bytes);
    this.active.bytes += records.length;
  }

  async close(): Promise<void> {
    await this.active.handle.close();
  }

  private async rotate(): Promise<void> {
    // The new segment first: if creating it fails, the old handle is still ours to close.
    const next = await createSegment(this.fs, this.dir, this.active.number + 1);
    const old = this.active;
    this.active = next;
    await old.handle.close();
  }
}

async function createSegment(fs: FileSystem, dir: string, number: number): Promise<ActiveSegment> {
  const path = joinPath(dir, segmentName(number));
  const handle = await fs.open(path, SEGMENT_MODE);
  const bytes = await handle.size();
  assert(bytes === 0, `new segment ${path} is empty`);
  await fs.syncDir(dir);
  return { number, handle, bytes };
}

/**
 * Before appending to a segment recovery replayed, make its bytes durable: what was read
 * may be page cache that never reached the disk (after a failed fsync, Linux marks the
 * pages clean, and a later fsync succeeds without writing them: fsyncgate). Writing the
 * bytes again dirties them, so the sync really persists them (each rewrite is an O_DSYNC
 * write, durable when it returns); truncating again at the recovered size redoes a cut
 * whose fsync failed, and the datasync makes that cut durable (a truncate is not a write:
 * O_DSYNC does not cover it); the directory sync covers a segment whose name never became
 * durable. Earlier segments need neither: the
 * writer rotates only after a segment is durable.
 */
async function makeDurable(
  fs: FileSystem,
  dir: string,
  handle: FileHandle,
  bytes: number,
): Promise<void> {
  const chunk = Buffer.allocUnsafe(Math.min(bytes, REWRITE_CHUNK_BYTES));
  for (let position = 0; position < bytes; position += chunk.length) {
    const length = Math.min(chunk.length, bytes - position);
    const read = await handle.read(chunk, 0, length, position);
    assert(read === length, `read ${length} bytes of the segment at ${position}`);
    await writeFully(handle, chunk.subarray(0, length), position);
  }
  // And cut again at the recovered end: a truncate whose fsync failed may be undone on disk.
  await handle.truncate(bytes);
  await handle.datasync();
  await fs.syncDir(dir);
}

const REWRITE_CHUNK_BYTES = 1024 * 1024;
/** How a new segment is opened: every write durable when it returns. */
const SEGMENT_MODE = 'create-dsync';
