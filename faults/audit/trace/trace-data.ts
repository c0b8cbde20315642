// Calls that change or sync the content of files under the database directory, and the
// acknowledgements: write/pwrite64/writev/pwritev/pwritev2 (to a file, or to the engine's
// stdout pipe: an ack per '\n'), read/readv/lseek (they move the file position later writes
// use), ftruncate, fallocate, fsync/fdatasync (of a file or of a directory), sync/syncfs.
// sync_file_range makes nothing durable (it neither flushes the disk cache nor the metadata),
// so it is traced but gives no operation.

import { nameOf } from './trace-namespace.ts';
import type { Description } from './trace-fds.ts';
import { FALLOC_FL_KEEP_SIZE, RWF_APPEND, RWF_DSYNC, RWF_SYNC } from './trace-linux.ts';
import { type TraceModel, liveName } from './trace-model.ts';
import type { Handler } from './trace-names.ts';
import { type TraceCall, intArg, iovecArg, stringArg } from './trace-parse.ts';

interface Data {
  bytes: Uint8Array;
  truncated: boolean;
}

function concat(parts: readonly Data[]): Data {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.bytes.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part.bytes, at);
    at += part.bytes.length;
  }
  return { bytes, truncated: parts.some((part) => part.truncated) };
}

/** `offset` null: at the file position, which moves; `rwf`: pwritev2's per-call flags. */
function write(
  model: TraceModel,
  call: TraceCall,
  data: Data | null,
  offset: number | null,
  rwf = 0,
): void {
  const desc = model.fdArg(call, 0);
  const written = call.result!;
  if (desc === undefined || data === null) return;
  if (data.truncated && (desc.stdout || (desc.node !== null && !desc.ignored)))
    throw model.unmodeled(
      call,
      `of ${written} bytes`,
      "the data is longer than the recorder's string limit (strace -s), so its bytes are not in the trace",
      false,
    );
  const bytes = data.bytes.subarray(0, written);
  if (desc.stdout) return ack(model, call, bytes);
  const node = desc.node;
  if (node === null || node.dir) return;
  const append = desc.append || (rwf & RWF_APPEND) !== 0;
  const at = append ? node.size : (offset ?? desc.offset);
  node.size = Math.max(node.size, at + written);
  if (offset === null) desc.offset = at + written;
  const path = desc.ignored ? null : nameOf(node);
  if (path === null || written === 0) return;
  const durable = desc.sync || (rwf & (RWF_DSYNC | RWF_SYNC)) !== 0;
  model.emit(
    call,
    call.endLine,
    { kind: 'write', path, offset: at, data: bytes.slice(), durable },
    `${path} @${at} len=${written}${durable ? ' durable' : ''}`,
  );
}

/** An ack counts when its write starts: from then on the harness may have read the line. */
function ack(model: TraceModel, call: TraceCall, bytes: Uint8Array): void {
  const lines = bytes.reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 0);
  if (lines === 0) return;
  model.emit(
    call,
    call.startLine,
    { kind: 'ack', lines },
    `stdout ${lines} ack line${lines === 1 ? '' : 's'}`,
  );
}

function moveTo(desc: Description | undefined, offset: number): void {
  if (desc !== undefined && desc.node !== null) desc.offset = offset;
}

function truncate(model: TraceModel, call: TraceCall, size: number): void {
  const desc = model.fdArg(call, 0);
  if (desc?.node == null) return;
  desc.node.size = size;
  const path = liveName(desc);
  if (path !== null)
    model.emit(call, call.endLine, { kind: 'truncate', path, size }, `${path} size=${size}`);
}

function fallocate(model: TraceModel, call: TraceCall): void {
  const mode = intArg(call.args[1]);
  const end = intArg(call.args[2]) + intArg(call.args[3]);
  const desc = model.fdArg(call, 0);
  const path = liveName(desc);
  if (desc?.node == null || mode === FALLOC_FL_KEEP_SIZE) return;
  if (mode !== 0) {
    if (path === null) return;
    throw model.unmodeled(
      call,
      `${path} mode=${mode}`,
      'only fallocate that allocates (mode 0 or FALLOC_FL_KEEP_SIZE) is modelled',
    );
  }
  if (end > desc.node.size) truncate(model, call, end);
}

function fsync(model: TraceModel, call: TraceCall): void {
  const desc = model.fdArg(call, 0);
  const path = liveName(desc);
  if (path === null) return;
  const op = desc!.node!.dir
    ? { kind: 'fsyncDir' as const, path }
    : { kind: 'fsync' as const, path };
  model.emit(call, call.endLine, op, path === '' ? '.' : path);
}

function syncAll(model: TraceModel, call: TraceCall): void {
  model.emit(call, call.endLine, { kind: 'syncAll' }, '(everything)');
}

export const DATA_HANDLERS: Record<string, Handler> = {
  write: (m, c) => write(m, c, stringArg(c.args[1]), null),
  // send(2) on the stdout socket (a socketpair when the harness is node): an ack like write.
  sendto: (m, c) => write(m, c, stringArg(c.args[1]), null),
  pwrite64: (m, c) => write(m, c, stringArg(c.args[1]), intArg(c.args[3])),
  writev: (m, c) => write(m, c, concat(iovecArg(c.args[1])), null),
  pwritev: (m, c) => write(m, c, concat(iovecArg(c.args[1])), intArg(c.args[3])),
  pwritev2: (m, c) => {
    const offset = intArg(c.args[3]);
    write(m, c, concat(iovecArg(c.args[1])), offset === -1 ? null : offset, intArg(c.args[4]));
  },
  read: (m, c) => {
    const desc = m.fdArg(c, 0);
    if (desc !== undefined) moveTo(desc, desc.offset + c.result!);
  },
  lseek: (m, c) => moveTo(m.fdArg(c, 0), c.result!),
  ftruncate: (m, c) => truncate(m, c, intArg(c.args[1])),
  fallocate,
  fsync,
  fdatasync: fsync,
  sync: syncAll,
  syncfs: syncAll,
  sync_file_range: () => undefined,
};
DATA_HANDLERS.readv = DATA_HANDLERS.read!;
