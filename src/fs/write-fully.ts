// A write is allowed to be short (POSIX): keep writing until every byte is down.

import { WalError } from '../errors.ts';
import type { FileHandle } from './types.ts';

/** Writes all of `data` at `position`, continuing after short writes. */
export async function writeFully(
  handle: Pick<FileHandle, 'write'>,
  data: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  // A write that makes no progress is an error, so the loop ends within data.length steps.
  while (done < data.length) {
    const written = await handle.write(done === 0 ? data : data.subarray(done), position + done);
    if (!(written > 0))
      throw new WalError('IO', `write made no progress at byte ${position + done}`);
    done += written;
  }
}
