// The state the trace model keeps while it reads the calls in order (trace-to-ops.ts): the
// directory's names and sizes, the processes' descriptors, and the operations found so far.
// Paths are resolved lexically (`..`, absolute paths, dirfds, the working directory);
// symbolic links are not followed, so an engine that reaches its files through a symlink is
// not supported.

import { posix } from 'node:path';
import { HarnessInputError } from '../../base/harness-error.ts';
import type { AuditOp } from './audit-ops.ts';
import type { Description, Processes } from './trace-fds.ts';
import { AT_FDCWD } from './trace-linux.ts';
import { type FileNode, type Namespace, nameOf } from './trace-namespace.ts';
import { type TraceCall, intArg, stringArg } from './trace-parse.ts';

export interface PendingOp {
  op: AuditOp;
  /** The trace line where it counts (see trace-to-ops.ts), then the order of emission. */
  line: number;
  seq: number;
  pid: number;
  body: string;
}

/** Where a path argument points: absolute, and relative to the database directory if inside. */
export interface Target {
  abs: string;
  /** Path relative to the database directory ('' is the directory), null when outside it. */
  rel: string | null;
  ignored: boolean;
}

export class TraceModel {
  readonly ops: PendingOp[] = [];

  constructor(
    readonly namespace: Namespace,
    readonly procs: Processes,
    /** The database directory as the engine was given it, and its real path if different. */
    private readonly dirs: readonly string[],
    private readonly ignore: (path: string) => boolean,
  ) {}

  emit(call: TraceCall, line: number, op: AuditOp, body: string): void {
    this.ops.push({ op, line, seq: this.ops.length, pid: call.pid, body: `${call.name} ${body}` });
  }

  target(abs: string): Target {
    for (const dir of this.dirs) {
      if (abs === dir) return { abs, rel: '', ignored: false };
      if (abs.startsWith(`${dir}/`)) {
        const rel = abs.slice(dir.length + 1);
        return { abs, rel, ignored: this.ignore(rel) };
      }
    }
    return { abs, rel: null, ignored: false };
  }

  /** The path argument at `pathIndex`, relative to the dirfd argument at `dirfdIndex` if any. */
  pathArg(call: TraceCall, pathIndex: number, dirfdIndex: number | null): Target | null {
    const path = stringArg(call.args[pathIndex]);
    if (path === null) return null;
    const text = Buffer.from(path.bytes).toString('utf8');
    if (text.startsWith('/')) return this.target(posix.normalize(text));
    const dirfd = dirfdIndex === null ? AT_FDCWD : intArg(call.args[dirfdIndex]);
    let base: string;
    if (dirfd === AT_FDCWD) base = this.procs.cwd(call.pid);
    else {
      const desc = this.procs.get(call.pid, dirfd);
      if (desc === undefined) return null; // a descriptor from a call we do not trace
      base = desc.abs;
    }
    return this.target(posix.resolve(base, text));
  }

  fdArg(call: TraceCall, index: number): Description | undefined {
    return this.procs.get(call.pid, intArg(call.args[index]));
  }

  unmodeled(call: TraceCall, what: string, why: string, ignorable = true): HarnessInputError {
    const hint = ignorable ? '; pass --ignore <glob> if this file does not matter' : '';
    return new HarnessInputError(
      'UNMODELED',
      `${call.name}${what === '' ? '' : ` ${what}`} at trace line ${call.startLine}: ${why}${hint}`,
    );
  }

  /** The node a path inside the directory names, or an error if the trace never made it. */
  existing(call: TraceCall, rel: string): FileNode {
    const node = this.namespace.get(rel);
    if (node === undefined)
      throw this.unmodeled(
        call,
        show(rel),
        'the engine used a file the trace never created and the directory did not hold at the start (a symlink, or a call strace does not show)',
      );
    return node;
  }
}

/** A path for reports: '.' for the database directory itself. */
export function show(rel: string): string {
  return rel === '' ? '.' : rel;
}

/** The node's current name, if it is a file or directory under the database directory that counts. */
export function liveName(desc: Description | undefined): string | null {
  if (desc === undefined || desc.node === null || desc.ignored) return null;
  return nameOf(desc.node);
}
