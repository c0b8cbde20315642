// A write is allowed to be short (POSIX): keep writing until every byte is down.

import { WalError } from '../errors.ts';
import type { FileHandle } from './types.ts';

/**
 * Writes all of `data` at `position`, continuing after short writes. The usual case, one
 * write that takes everything, is one promise step rather than an async function's frame:
 * the log's every durable write passes here.
 */
export function writeFully(
  handle: Pick<FileHandle, 'write'>,
  data: Uint8Array,
  position: number,
): Promise<void> {
  // Nothing to write, no call: a zero-length write would still be an op in a simulated trace.
  if (data.length === 0) return Promise.resolve();
  return handle
    .write(data, position)
    .then((written) =>
      written === data.length ? undefined : writeRest(handle, data, position, written),
    );
}

/** After a first write of `written` bytes: the rest, one write after another. */
async function writeRest(
  handle: Pick<FileHandle, 'write'>,
  data: Uint8Array,
  position: number,
  written: number,
): Promise<void> {
  let done = 0;
  // A write that makes no progress is an error, so the loop ends within data.length steps.
  for (;;) {
    if (!(written > 0))
      throw new WalError('IO', `write made no progress at byte ${position + done}`);
    done += written;
    if (done >= data.length) return;
    written = await handle.write(data.subarray(done), position + done);
  }
}
