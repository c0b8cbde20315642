// Errors the simulated filesystem throws: node:fs-like `Error`s with a POSIX `code`, and the
// crash marker every operation rejects with once the simulated process has died.
//
// Neither carries stack frames: a campaign makes thousands of them per second (EEXIST from
// every lock take, ENOENT probes, ECRASHED for every call after a crash) and capturing a stack
// cost ten times the rest of the error (more with source maps on). node:fs's asynchronous
// errors have no JavaScript frames either; the message names the operation and path.

const MESSAGES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  EINVAL: 'invalid argument',
  EBADF: 'bad file descriptor',
  EIO: 'i/o error',
  ENOSPC: 'no space left on device',
  ELOCKED: 'lock held by another writer',
};

export interface FsError extends Error {
  code: string;
  syscall: string;
  path: string;
}

export function fsError(code: string, syscall: string, path: string): FsError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err = new Error(`${code}: ${MESSAGES[code] ?? 'error'}, ${syscall} '${path}'`) as FsError;
  Error.stackTraceLimit = limit;
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** The simulated process died: this operation, and every later one, never reached the disk. */
export class SimCrashError extends Error {
  readonly code = 'ECRASHED' as const;

  constructor(op: string, path: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // no frames: see the top of this file
    super(`ECRASHED: simulated crash, ${op} '${path}'`);
    Error.stackTraceLimit = limit;
    this.name = 'SimCrashError';
  }
}
