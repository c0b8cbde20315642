// Calls that open files or change names under the database directory: open/openat/openat2/
// creat, rename/renameat/renameat2, link/linkat, unlink/unlinkat, mkdir/mkdirat, rmdir,
// truncate, and the working directory (chdir/fchdir). A call on paths outside the directory
// changes nothing we model; one that moves a file from outside into it cannot be modelled
// (its content is unknown) and is said.

import type { Description } from './trace-fds.ts';
import {
  AT_EMPTY_PATH,
  AT_REMOVEDIR,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECT,
  O_DIRECTORY,
  O_DSYNC,
  O_TMPFILE_BIT,
  O_TRUNC,
  O_WRONLY,
  RENAME_EXCHANGE,
  RENAME_WHITEOUT,
} from './trace-linux.ts';
import { type Target, type TraceModel, show } from './trace-model.ts';
import { type TraceCall, intArg } from './trace-parse.ts';

export type Handler = (model: TraceModel, call: TraceCall) => void;

function open(model: TraceModel, call: TraceCall, target: Target | null, flags: number): void {
  const fd = call.result!;
  if (target === null) return model.procs.set(call.pid, fd, undefined, false);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const desc: Description = {
    abs: target.abs,
    node: null,
    dir: (flags & O_DIRECTORY) !== 0,
    append: (flags & O_APPEND) !== 0,
    sync: (flags & O_DSYNC) !== 0,
    stdout: false,
    ignored: target.ignored,
    offset: 0,
  };
  if (target.rel === null) return model.procs.set(call.pid, fd, desc, cloexec);
  const rel = target.rel;
  if (!target.ignored) {
    if ((flags & O_TMPFILE_BIT) !== 0)
      throw model.unmodeled(call, show(rel), 'O_TMPFILE files are not modelled', false);
    if ((flags & O_DIRECT) !== 0)
      throw model.unmodeled(
        call,
        show(rel),
        'O_DIRECT writes bypass the page cache, which the persistence model does not represent',
      );
  }
  let node = model.namespace.get(rel);
  if (node === undefined && (flags & O_CREAT) !== 0) {
    node = model.namespace.add(rel, false);
    if (!target.ignored)
      model.emit(call, call.endLine, { kind: 'create', path: rel }, `${rel} (create)`);
  }
  // An ignored file may come from anywhere: only its name is kept.
  if (node === undefined && target.ignored) node = model.namespace.add(rel, false);
  node ??= model.existing(call, rel);
  // Linux truncates on O_TRUNC whatever the access mode.
  if ((flags & O_TRUNC) !== 0 && !node.dir && node.size > 0) {
    node.size = 0;
    if (!target.ignored)
      model.emit(call, call.endLine, { kind: 'truncate', path: rel, size: 0 }, `${rel} O_TRUNC`);
  }
  model.procs.set(call.pid, fd, { ...desc, node, dir: node.dir }, cloexec);
}

/** The flags of openat2's `{flags=..., mode=..., resolve=...}` argument. */
function howFlags(arg: string | undefined): number {
  const match = /flags=([0-9a-fx|]+)/.exec(arg ?? '');
  return match === null ? 0 : intArg(match[1]);
}

/** Both paths of a rename or link: modelled only when both are inside (or both outside) the directory. */
function pair(
  model: TraceModel,
  call: TraceCall,
  from: Target | null,
  to: Target | null,
): { from: string; to: string; ignored: boolean } | 'outside' | { gone: string; ignored: boolean } {
  const fromRel = from?.rel ?? null;
  const toRel = to?.rel ?? null;
  if (toRel === null && fromRel === null) return 'outside';
  if (toRel === null) return { gone: fromRel!, ignored: from!.ignored };
  if (fromRel === null && to!.ignored) {
    model.namespace.add(toRel, false); // its content does not matter
    return 'outside';
  }
  if (fromRel === null)
    throw model.unmodeled(
      call,
      show(toRel),
      'a file from outside the database directory was moved or linked into it, with content the trace does not show',
    );
  if (from!.ignored !== to!.ignored)
    throw model.unmodeled(
      call,
      `${show(fromRel)} -> ${show(toRel)}`,
      'one name is ignored and the other is not',
    );
  return { from: fromRel, to: toRel, ignored: to!.ignored };
}

function rename(
  model: TraceModel,
  call: TraceCall,
  from: Target | null,
  to: Target | null,
  flags: number,
): void {
  const names = pair(model, call, from, to);
  if (names === 'outside') return;
  if ((flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) !== 0 && !names.ignored)
    throw model.unmodeled(
      call,
      'gone' in names ? show(names.gone) : `${show(names.from)} -> ${show(names.to)}`,
      `flags ${flags}: RENAME_EXCHANGE and RENAME_WHITEOUT are not modelled`,
    );
  if ('gone' in names) return remove(model, call, names.gone, names.ignored, false, ' (moved out)');
  const node = model.existing(call, names.from);
  // Two names of one file: POSIX rename does nothing.
  if (model.namespace.get(names.to) === node) return;
  model.namespace.rename(names.from, names.to);
  emitPair(model, call, 'rename', names);
}

function link(
  model: TraceModel,
  call: TraceCall,
  from: Target | null,
  to: Target | null,
  flags: number,
): void {
  if ((flags & AT_EMPTY_PATH) !== 0 && to?.rel != null && !to.ignored)
    throw model.unmodeled(
      call,
      show(to.rel),
      'linking a descriptor (AT_EMPTY_PATH) is not modelled',
    );
  const names = pair(model, call, from, to);
  if (names === 'outside' || 'gone' in names) return; // a new name outside changes nothing inside
  model.existing(call, names.from);
  model.namespace.link(names.from, names.to);
  emitPair(model, call, 'link', names);
}

/** A rename or link between two names inside the directory, unless the file is ignored. */
function emitPair(
  model: TraceModel,
  call: TraceCall,
  kind: 'rename' | 'link',
  names: { from: string; to: string; ignored: boolean },
): void {
  if (!names.ignored)
    model.emit(
      call,
      call.endLine,
      { kind, from: names.from, to: names.to },
      `${names.from} -> ${names.to}`,
    );
}

function remove(
  model: TraceModel,
  call: TraceCall,
  rel: string,
  ignored: boolean,
  dir: boolean,
  note = '',
): void {
  const node = model.namespace.get(rel);
  model.namespace.remove(rel);
  if (ignored) return;
  const isDir = dir || node?.dir === true;
  model.emit(
    call,
    call.endLine,
    isDir ? { kind: 'rmdir', path: rel } : { kind: 'unlink', path: rel },
    show(rel) + note,
  );
}

function mkdir(model: TraceModel, call: TraceCall, target: Target | null): void {
  if (target?.rel == null) return;
  model.namespace.add(target.rel, true);
  if (!target.ignored)
    model.emit(call, call.endLine, { kind: 'mkdir', path: target.rel }, target.rel);
}

function truncatePath(
  model: TraceModel,
  call: TraceCall,
  target: Target | null,
  size: number,
): void {
  if (target?.rel == null) return;
  const node = model.existing(call, target.rel);
  node.size = size;
  if (!target.ignored)
    model.emit(
      call,
      call.endLine,
      { kind: 'truncate', path: target.rel, size },
      `${target.rel} size=${size}`,
    );
}

function unlinkAt(model: TraceModel, call: TraceCall, target: Target | null, dir: boolean): void {
  if (target?.rel == null) return;
  remove(model, call, target.rel, target.ignored, dir);
}

export const NAME_HANDLERS: Record<string, Handler> = {
  open: (m, c) => open(m, c, m.pathArg(c, 0, null), intArg(c.args[1])),
  creat: (m, c) => open(m, c, m.pathArg(c, 0, null), O_CREAT | O_WRONLY | O_TRUNC),
  openat: (m, c) => open(m, c, m.pathArg(c, 1, 0), intArg(c.args[2])),
  openat2: (m, c) => open(m, c, m.pathArg(c, 1, 0), howFlags(c.args[2])),
  rename: (m, c) => rename(m, c, m.pathArg(c, 0, null), m.pathArg(c, 1, null), 0),
  renameat: (m, c) => rename(m, c, m.pathArg(c, 1, 0), m.pathArg(c, 3, 2), 0),
  renameat2: (m, c) => rename(m, c, m.pathArg(c, 1, 0), m.pathArg(c, 3, 2), intArg(c.args[4])),
  link: (m, c) => link(m, c, m.pathArg(c, 0, null), m.pathArg(c, 1, null), 0),
  linkat: (m, c) => link(m, c, m.pathArg(c, 1, 0), m.pathArg(c, 3, 2), intArg(c.args[4])),
  unlink: (m, c) => unlinkAt(m, c, m.pathArg(c, 0, null), false),
  unlinkat: (m, c) => unlinkAt(m, c, m.pathArg(c, 1, 0), (intArg(c.args[2]) & AT_REMOVEDIR) !== 0),
  rmdir: (m, c) => unlinkAt(m, c, m.pathArg(c, 0, null), true),
  mkdir: (m, c) => mkdir(m, c, m.pathArg(c, 0, null)),
  mkdirat: (m, c) => mkdir(m, c, m.pathArg(c, 1, 0)),
  truncate: (m, c) => truncatePath(m, c, m.pathArg(c, 0, null), intArg(c.args[1])),
  chdir: (m, c) => {
    const target = m.pathArg(c, 0, null);
    if (target !== null) m.procs.chdir(c.pid, target.abs);
  },
  fchdir: (m, c) => {
    const desc = m.fdArg(c, 0);
    if (desc !== undefined) m.procs.chdir(c.pid, desc.abs);
  },
};
