// applog: a small append-log key-value store, written only against walcheck's public harness
// API (the crash-test engine interface and the FileSystem it runs on), to show that an engine
// in a format walcheck cannot decode is crash-tested all the same. In your own project the
// import below reads `from 'walcheck/harness'`.
//
// Format: one file, <dir>/applog, a sequence of frames
//
//   u32 LE  payload length    u32 LE  CRC-32C of length and payload    payload: UTF-8 JSON
//   {"seq": <first sequence number>, "ops": [["p", <key hex>, <value hex>] | ["d", <key hex>]]}
//
// The CRC covers the length too: a run of zeros (a file extended but its data not yet durable)
// would otherwise be a valid empty frame. Writes are serialized: a batch's frame is appended at the end of the file and made durable
// (datasync) before the write resolves. Recovery replays the frames up to the first one that
// is torn or fails its CRC, rewrites them and cuts the file there, durably, before any write.
// After an I/O error the store refuses every later write with the same code (fail closed,
// rule 7): what reached the file is unknown until the next open reads it back.

import { crc32c } from '@node-rs/crc32';
import type {
  Batch,
  CrashTestDatabase,
  CrashTestEngine,
  CrashTestOpenOptions,
  FileHandle,
} from '../../faults/harness.ts';

const FILE_NAME = 'applog';
const HEADER_BYTES = 8;
/** A frame longer than this is damage, not a batch (the harness's batches are far smaller). */
const PAYLOAD_BYTES_MAX = 16 << 20;
/** Short writes in a row before giving up on a frame. */
const SHORT_WRITES_MAX = 64;

type Op = readonly ['p', string, string] | readonly ['d', string];

interface Frame {
  readonly seq: number;
  readonly ops: readonly Op[];
}

/** An error with a stable code; I/O failures keep the filesystem's error as `cause`. */
export class AppLogError extends Error {
  constructor(
    readonly code: 'IO' | 'READ_ONLY' | 'NOT_FOUND' | 'CLOSED',
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'AppLogError';
  }
}

export const appLogEngine: CrashTestEngine = {
  name: 'applog',
  features: { readOnly: true },
  open: (dir, options) => AppLog.open(dir, options),
};

export class AppLog implements CrashTestDatabase {
  private readonly state = new Map<string, Uint8Array>();
  private seq = 0;
  private size = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle | null,
    readonly recovery: { readonly status: 'clean' | 'torn-tail' },
  ) {}

  static async open(dir: string, options: CrashTestOpenOptions): Promise<AppLog> {
    const { fs } = options;
    const path = `${dir}/${FILE_NAME}`;
    if (options.readOnly === true) {
      if ((await fs.stat(dir)) === null) throw new AppLogError('NOT_FOUND', `no database ${dir}`);
      const bytes = (await fs.stat(path)) === null ? new Uint8Array(0) : await fs.readFile(path);
      return AppLog.replayed(null, bytes);
    }
    await fs.mkdir(dir);
    await fs.syncDir(parentOf(dir));
    const handle = await fs.open(path, 'create');
    await fs.syncDir(dir); // the file's entry is durable before any batch is acknowledged in it
    const bytes = new Uint8Array(await handle.size());
    await readFully(handle, bytes);
    const db = AppLog.replayed(handle, bytes);
    // Rewrite what was read before syncing it: after a datasync failed earlier in this process,
    // reads may show bytes that never reached the disk, and a later datasync would not write
    // them (Linux marks the pages clean). Then cut the torn tail, if any.
    if (db.size > 0) await writeFully(handle, bytes.subarray(0, db.size), 0);
    if (db.size < bytes.length) await handle.truncate(db.size);
    if (bytes.length > 0) await handle.datasync();
    return db;
  }

  private static replayed(handle: FileHandle | null, bytes: Uint8Array): AppLog {
    const frames = parseFrames(bytes);
    const db = new AppLog(handle, {
      status: frames.end < bytes.length ? 'torn-tail' : 'clean',
    });
    for (const frame of frames.frames) db.apply(frame);
    db.size = frames.end;
    return db;
  }

  get lastSeq(): number {
    return this.seq;
  }

  write(batch: Batch): Promise<{ seqStart: number }> {
    const done = this.queue.then(() => this.append(batch));
    this.queue = done.catch(() => undefined);
    return done;
  }

  scan(): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    return [...this.state.keys()]
      .sort()
      .map((hex) => ({ key: fromHex(hex), value: this.state.get(hex)! }));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.state.get(toHex(key));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle?.close();
  }

  private async append(batch: Batch): Promise<{ seqStart: number }> {
    if (this.closed) throw new AppLogError('CLOSED', 'the database is closed');
    if (this.handle === null) throw new AppLogError('READ_ONLY', 'opened read-only');
    if (this.failure !== null)
      throw new AppLogError('IO', 'an earlier write failed; reopen to recover', {
        cause: this.failure,
      });
    const frame: Frame = { seq: this.seq + 1, ops: batch.map(encodeOp) };
    const bytes = encodeFrame(frame);
    try {
      await writeFully(this.handle, bytes, this.size);
      await this.handle.datasync(); // durable before the acknowledgement (rule 1)
    } catch (error) {
      this.failure = error;
      throw new AppLogError('IO', `append failed: ${(error as Error).message}`, { cause: error });
    }
    this.size += bytes.length;
    this.apply(frame);
    return { seqStart: frame.seq };
  }

  private apply(frame: Frame): void {
    for (const op of frame.ops) {
      if (op[0] === 'p') this.state.set(op[1], fromHex(op[2]));
      else this.state.delete(op[1]);
    }
    this.seq = frame.seq + frame.ops.length - 1;
  }
}

function encodeOp(op: Batch[number]): Op {
  return op.type === 'put' ? ['p', toHex(op.key), toHex(op.value)] : ['d', toHex(op.key)];
}

function encodeFrame(frame: Frame): Uint8Array {
  const payload = Buffer.from(JSON.stringify(frame), 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  payload.copy(out, HEADER_BYTES);
  out.writeUInt32LE(frameCrc(out, payload.length), 4);
  return out;
}

/** The valid frames from the start, and where the first torn or damaged one begins. */
function parseFrames(bytes: Uint8Array): { frames: Frame[]; end: number } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Frame[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= view.length) {
    const length = view.readUInt32LE(at);
    if (length > PAYLOAD_BYTES_MAX || at + HEADER_BYTES + length > view.length) break;
    const frame = view.subarray(at, at + HEADER_BYTES + length);
    if (frameCrc(frame, length) !== view.readUInt32LE(at + 4)) break;
    frames.push(JSON.parse(frame.subarray(HEADER_BYTES).toString('utf8')) as Frame);
    at += HEADER_BYTES + length;
  }
  return { frames, end: at };
}

/** CRC-32C of a frame's length field and payload (the CRC field itself left out). */
function frameCrc(frame: Uint8Array, length: number): number {
  return crc32c(frame.subarray(HEADER_BYTES, HEADER_BYTES + length), crc32c(frame.subarray(0, 4)));
}

async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  for (let attempt = 0; done < data.length; attempt++) {
    if (attempt === SHORT_WRITES_MAX) throw new AppLogError('IO', 'too many short writes');
    done += await handle.write(data.subarray(done), position + done);
  }
}

async function readFully(handle: FileHandle, into: Uint8Array): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const n = await handle.read(into, done, into.length - done, done);
    if (n === 0) throw new AppLogError('IO', 'the file ended before its size');
    done += n;
  }
}

function parentOf(dir: string): string {
  const slash = dir.lastIndexOf('/');
  return slash <= 0 ? '/' : dir.slice(0, slash);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}
