// The strace command line the recorder runs, and finding strace on PATH.
//
// Flags: -f follows threads and children; -qq leaves out attach and exit notes; -X raw prints
// flags and constants as numbers (decoded in trace-linux.ts, so the text does not depend on
// strace's symbol tables); -xx prints every string byte as \xNN with -s large enough to hold
// a whole write. We chose that over `-e write=all` (hex dump lines after the call) because it
// keeps every call on its own line(s) with its data inside, which keeps the parser to one line
// shape, and paths arrive as bytes without any quoting ambiguity. A write longer than -s is
// detected (strace marks the cut with `...`) and refused rather than recorded short.
// `-E UV_USE_IO_URING=0` keeps libuv (node and other engines built on it) on its thread pool
// for file operations: libuv versions that submit them through io_uring would otherwise make
// every node engine unrecordable (io_uring writes are not system calls strace can show).

import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { HarnessInputError } from '../../base/harness-error.ts';

/** strace -s: bytes of a string printed before it is cut (a whole write must fit). */
export const STRING_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Traced calls: every call taking a path (%file, so an unknown call on a file in the directory
 * is seen), plus the descriptor, data, sync, process and mapping calls the model reads.
 * `?` accepts names an architecture lacks (arm64 has no open, creat, rename, fork, ...).
 */
export const TRACED_CALLS = [
  '%file',
  ...['close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'ioctl'],
  ...['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2', 'sendto', 'read', 'readv', 'lseek'],
  ...['ftruncate', 'fallocate', 'fsync', 'fdatasync', 'sync_file_range', 'sync', 'syncfs'],
  ...['fchdir', 'clone', 'clone3', 'fork', 'vfork', 'mmap'],
  ...['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
  ...['copy_file_range', 'sendfile', 'splice'],
]
  .map((name) => `?${name}`)
  .join(',');

export function straceArgv(
  strace: string,
  traceFile: string,
  command: readonly string[],
): string[] {
  return [
    strace,
    '-f',
    '-qq',
    '-X',
    'raw',
    '-xx',
    '-s',
    String(STRING_BYTES_MAX),
    '-E',
    'UV_USE_IO_URING=0',
    '-e',
    `trace=${TRACED_CALLS}`,
    '-o',
    traceFile,
    '--',
    ...command,
  ];
}

/** The strace executable on PATH, or a usage error that says how to install it. */
export async function findStrace(path = process.env.PATH ?? ''): Promise<string> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'strace');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new HarnessInputError(
    'NO_STRACE',
    'strace is not installed (the audit records the engine with it): install it, e.g. `apt-get install -y strace` on Debian or Ubuntu',
  );
}
