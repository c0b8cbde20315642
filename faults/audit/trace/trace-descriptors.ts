// Calls that change descriptor tables (close, close_range, dup/dup2/dup3, fcntl F_DUPFD,
// F_DUPFD_CLOEXEC, F_SETFD, F_SETFL, ioctl FIOCLEX/FIONCLEX, execve), and the calls that
// write to a file in a way strace cannot show, which are said rather than skipped: a writable
// shared mmap, io_uring, and the in-kernel copies (copy_file_range, sendfile, splice) into a
// file under the directory.

import {
  CLOSE_RANGE_CLOEXEC,
  CLOSE_RANGE_UNSHARE,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  FIOCLEX,
  FIONCLEX,
  MAP_SHARED,
  O_APPEND,
  O_CLOEXEC,
  O_DIRECT,
  PROT_WRITE,
} from './trace-linux.ts';
import { type TraceModel, liveName } from './trace-model.ts';
import type { Handler } from './trace-names.ts';
import { type TraceCall, intArg } from './trace-parse.ts';

function dup(model: TraceModel, call: TraceCall, to: number, cloexec: boolean): void {
  const from = intArg(call.args[0]);
  if (from === to) return;
  model.procs.set(call.pid, to, model.procs.get(call.pid, from), cloexec);
}

function fcntl(model: TraceModel, call: TraceCall): void {
  const cmd = intArg(call.args[1]);
  const arg = intArg(call.args[2]);
  if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)
    return dup(model, call, call.result!, cmd === F_DUPFD_CLOEXEC);
  if (cmd === F_SETFD)
    return model.procs.setCloexec(call.pid, intArg(call.args[0]), (arg & FD_CLOEXEC) !== 0);
  if (cmd !== F_SETFL) return;
  const desc = model.fdArg(call, 0);
  if (desc === undefined) return;
  const path = liveName(desc);
  if ((arg & O_DIRECT) !== 0 && path !== null)
    throw model.unmodeled(
      call,
      `F_SETFL O_DIRECT on ${path}`,
      'O_DIRECT writes bypass the page cache, which the persistence model does not represent',
    );
  desc.append = (arg & O_APPEND) !== 0;
}

function mmap(model: TraceModel, call: TraceCall): void {
  const prot = intArg(call.args[2]);
  const flags = intArg(call.args[3]);
  if ((prot & PROT_WRITE) === 0 || (flags & MAP_SHARED) === 0) return;
  const path = liveName(model.fdArg(call, 4));
  if (path !== null)
    throw model.unmodeled(
      call,
      `of ${path} (PROT_WRITE, MAP_SHARED)`,
      'stores to a shared writable mapping reach the file without a system call, so the trace does not show them',
    );
}

function copyInto(model: TraceModel, call: TraceCall, outIndex: number): void {
  const path = liveName(model.fdArg(call, outIndex));
  if (path !== null && call.result! > 0)
    throw model.unmodeled(
      call,
      `into ${path}`,
      'the kernel copies the bytes itself, so the trace does not show them',
    );
}

function ioUring(model: TraceModel, call: TraceCall): void {
  throw model.unmodeled(
    call,
    '',
    'io_uring submissions are not system calls strace can show, so what they write cannot be recorded (an engine on libuv runs with UV_USE_IO_URING=0 here; others need a way to turn io_uring off)',
    false,
  );
}

export const DESCRIPTOR_HANDLERS: Record<string, Handler> = {
  close: (m, c) => m.procs.set(c.pid, intArg(c.args[0]), undefined, false),
  close_range: (m, c) => {
    const flags = intArg(c.args[2]);
    const last = intArg(c.args[1]);
    const unshare = (flags & CLOSE_RANGE_UNSHARE) !== 0;
    m.procs.closeRange(
      c.pid,
      intArg(c.args[0]),
      last < 0 ? 2 ** 32 : last,
      (flags & CLOSE_RANGE_CLOEXEC) !== 0,
      unshare,
    );
  },
  dup: (m, c) => dup(m, c, c.result!, false),
  dup2: (m, c) => dup(m, c, intArg(c.args[1]), false),
  dup3: (m, c) => dup(m, c, intArg(c.args[1]), (intArg(c.args[2]) & O_CLOEXEC) !== 0),
  fcntl,
  fcntl64: fcntl,
  ioctl: (m, c) => {
    const request = intArg(c.args[1]);
    if (request === FIOCLEX || request === FIONCLEX)
      m.procs.setCloexec(c.pid, intArg(c.args[0]), request === FIOCLEX);
  },
  clone: (m, c) => m.procs.born(c.result!),
  clone3: (m, c) => m.procs.born(c.result!),
  fork: (m, c) => m.procs.born(c.result!),
  vfork: (m, c) => m.procs.born(c.result!),
  execve: (m, c) => m.procs.exec(c.pid),
  execveat: (m, c) => m.procs.exec(c.pid),
  mmap,
  io_uring_setup: ioUring,
  io_uring_enter: ioUring,
  io_uring_register: ioUring,
  copy_file_range: (m, c) => copyInto(m, c, 2),
  sendfile: (m, c) => copyInto(m, c, 0),
  splice: (m, c) => copyInto(m, c, 2),
};
