// From the parsed trace to the operations of audit-ops.ts: what the engine did to files under
// its database directory, in the order its effects count.
//
// Ordering. Every call counts where it returns (the resumed line of an unfinished call): an
// fsync makes data durable only once it returns, and a write or rename placed at its return
// is the pessimistic choice for the judge (a concurrent fsync that returned before it is not
// taken to cover it, so more crash states keep it volatile). Two exceptions: a write to the
// engine's stdout (an ack) counts where it starts, since the harness may read the line from
// then on; and close takes its descriptor away where it starts, as the kernel does, so that
// another thread's open reusing the number is not undone.
//
// Only successful calls are modelled (a failed call changed nothing). Calls that name a path
// inside the directory and are none of those modelled here nor known to change nothing there
// are said (HarnessInputError UNMODELED), unless the path matches `ignore`.

import { HarnessInputError } from '../../base/harness-error.ts';
import type { StartEntry, TracedOp } from './audit-ops.ts';
import { DATA_HANDLERS } from './trace-data.ts';
import { DESCRIPTOR_HANDLERS } from './trace-descriptors.ts';
import { type Birth, Processes } from './trace-fds.ts';
import { TraceModel, show } from './trace-model.ts';
import { type Handler, NAME_HANDLERS } from './trace-names.ts';
import { Namespace } from './trace-namespace.ts';
import { type TraceCall, intArg, stringArg } from './trace-parse.ts';
import { CLONE_FILES, CLONE_FS } from './trace-linux.ts';

export interface TraceModelOptions {
  /** The database directory as given to the engine (absolute), and its real path if different. */
  dirs: readonly string[];
  /** The engine's working directory (absolute). */
  cwd: string;
  start: readonly StartEntry[];
  /** Files (paths relative to the directory) whose operations do not matter. */
  ignore?: (path: string) => boolean;
}

const HANDLERS: Record<string, Handler> = {
  ...NAME_HANDLERS,
  ...DATA_HANDLERS,
  ...DESCRIPTOR_HANDLERS,
};

/** Calls that take a path and change nothing a crash state holds (contents, names, sizes). */
const NO_CHANGE = new Set(
  [
    'stat lstat newfstatat fstatat64 statx access faccessat faccessat2 readlink readlinkat',
    'statfs getxattr lgetxattr listxattr llistxattr getcwd inotify_add_watch fanotify_mark',
    'name_to_handle_at utime utimes futimesat utimensat chmod fchmodat fchmodat2 chown lchown',
    'fchownat setxattr lsetxattr removexattr lremovexattr',
  ]
    .join(' ')
    .split(' '),
);

export function traceToOps(calls: readonly TraceCall[], options: TraceModelOptions): TracedOp[] {
  const root = calls[0]?.pid;
  const procs = new Processes(births(calls), options.cwd);
  if (root !== undefined) {
    procs.addRoot(root, {
      abs: '(stdout)',
      node: null,
      dir: false,
      append: false,
      sync: false,
      stdout: true,
      ignored: false,
      offset: 0,
    });
  }
  const model = new TraceModel(
    new Namespace(options.start),
    procs,
    options.dirs,
    options.ignore ?? (() => false),
  );
  const ordered = calls
    .filter((call) => call.errno === null && call.result !== null && call.result >= 0)
    .map((call) => ({ call, line: countsAt(call) }))
    .sort((a, b) => a.line - b.line);
  for (const { call } of ordered) {
    const handler = HANDLERS[call.name];
    if (handler !== undefined) handler(model, call);
    else if (!NO_CHANGE.has(call.name)) checkUnknown(model, call);
  }
  const ops = model.ops.sort((a, b) => a.line - b.line || a.seq - b.seq);
  return ops.map((pending, index) => ({
    op: pending.op,
    index,
    pid: pending.pid,
    line: pending.line,
    text: `#${index} ${pending.body}`,
  }));
}

/** Where a call is processed: close at its start, every other call at its return. */
function countsAt(call: TraceCall): number {
  return call.name === 'close' || call.name === 'close_range' ? call.startLine : call.endLine;
}

/** Which pid each clone/fork made, and with what sharing (a first pass: children may run first). */
function births(calls: readonly TraceCall[]): Map<number, Birth> {
  const made = new Map<number, Birth>();
  for (const call of calls) {
    if (call.result === null || call.result <= 0) continue;
    if (call.name === 'fork' || call.name === 'vfork')
      made.set(call.result, { parent: call.pid, flags: 0 });
    if (call.name === 'clone' || call.name === 'clone3') {
      const match = /flags=([0-9a-fx|]+)/.exec(call.args.join(','));
      const flags = match === null ? 0 : intArg(match[1]);
      made.set(call.result, { parent: call.pid, flags: flags & (CLONE_FILES | CLONE_FS) });
    }
  }
  return made;
}

/** A call the model does not know: an error if one of its paths is inside the directory. */
function checkUnknown(model: TraceModel, call: TraceCall): void {
  for (let i = 0; i < call.args.length; i++) {
    if (stringArg(call.args[i]) === null) continue;
    const dirfd = i > 0 && Number.isFinite(intArg(call.args[i - 1])) ? i - 1 : null;
    const target = model.pathArg(call, i, dirfd);
    if (target?.rel == null || target.ignored) continue;
    throw new HarnessInputError(
      'UNMODELED',
      `${call.name} on ${show(target.rel)} at trace line ${call.startLine}: the recorder does not model this call; pass --ignore <glob> if this file does not matter`,
    );
  }
}
