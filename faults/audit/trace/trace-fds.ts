// Descriptor tables and working directories of the traced processes. An open file
// description (position, O_APPEND) is shared by every descriptor dup'd from it and by the
// children that inherited it; a descriptor table is shared by threads (CLONE_FILES) and
// copied by fork; the working directory is shared under CLONE_FS. execve drops the
// descriptors marked close-on-exec. Only what the trace shows is known: a descriptor made
// by a call we do not trace (pipe2, socket, ...) is simply absent, and writes to it dropped.

import type { FileNode } from './trace-namespace.ts';
import { CLONE_FILES, CLONE_FS } from './trace-linux.ts';

export interface Description {
  /** Absolute path it was opened with. */
  readonly abs: string;
  /** The node under the database directory, or null for anything outside it. */
  readonly node: FileNode | null;
  readonly dir: boolean;
  append: boolean;
  /** Opened with O_DSYNC or O_SYNC: every write is durable when it returns. */
  readonly sync: boolean;
  /** The engine's stdout pipe: writes to it are acknowledgements. */
  readonly stdout: boolean;
  /** A file the caller told us to ignore (--ignore). */
  readonly ignored: boolean;
  offset: number;
}

interface Fd {
  desc: Description;
  cloexec: boolean;
}

interface Proc {
  files: { table: Map<number, Fd> };
  fs: { cwd: string };
}

/** How a pid came to be: the call that created it, from a first pass over the trace. */
export interface Birth {
  parent: number;
  flags: number;
}

export class Processes {
  private readonly procs = new Map<number, Proc>();

  constructor(
    private readonly births: ReadonlyMap<number, Birth>,
    private readonly rootCwd: string,
  ) {}

  /** The root process starts with its stdout pipe on fd 1 (stdin and stderr do not matter). */
  addRoot(pid: number, stdout: Description): void {
    const table = new Map<number, Fd>([[1, { desc: stdout, cloexec: false }]]);
    this.procs.set(pid, { files: { table }, fs: { cwd: this.rootCwd } });
  }

  /** A pid first seen: a child made from its parent's state now (it may run before clone returns). */
  private proc(pid: number): Proc {
    const known = this.procs.get(pid);
    if (known !== undefined) return known;
    const birth = this.births.get(pid);
    let proc: Proc;
    if (birth === undefined || birth.parent === pid) {
      proc = { files: { table: new Map() }, fs: { cwd: this.rootCwd } };
    } else {
      const parent = this.proc(birth.parent);
      proc = {
        files:
          (birth.flags & CLONE_FILES) !== 0 ? parent.files : { table: copy(parent.files.table) },
        fs: (birth.flags & CLONE_FS) !== 0 ? parent.fs : { cwd: parent.fs.cwd },
      };
    }
    this.procs.set(pid, proc);
    return proc;
  }

  /** A clone/fork returned `pid`: the child's state is taken now, if it has not run yet. */
  born(pid: number): void {
    this.proc(pid);
  }

  cwd(pid: number): string {
    return this.proc(pid).fs.cwd;
  }

  chdir(pid: number, abs: string): void {
    this.proc(pid).fs.cwd = abs;
  }

  get(pid: number, fd: number): Description | undefined {
    return this.proc(pid).files.table.get(fd)?.desc;
  }

  set(pid: number, fd: number, desc: Description | undefined, cloexec: boolean): void {
    const table = this.proc(pid).files.table;
    if (desc === undefined) table.delete(fd);
    else table.set(fd, { desc, cloexec });
  }

  setCloexec(pid: number, fd: number, cloexec: boolean): void {
    const entry = this.proc(pid).files.table.get(fd);
    if (entry !== undefined) entry.cloexec = cloexec;
  }

  /** close_range: closes (or marks close-on-exec) every descriptor in [first, last]. */
  closeRange(pid: number, first: number, last: number, cloexec: boolean, unshare: boolean): void {
    const proc = this.proc(pid);
    if (unshare) proc.files = { table: copy(proc.files.table) };
    for (const [fd, entry] of proc.files.table) {
      if (fd < first || fd > last) continue;
      if (cloexec) entry.cloexec = true;
      else proc.files.table.delete(fd);
    }
  }

  /** A successful execve: a table of its own, without the close-on-exec descriptors. */
  exec(pid: number): void {
    const proc = this.proc(pid);
    const table = new Map<number, Fd>();
    for (const [fd, entry] of proc.files.table) if (!entry.cloexec) table.set(fd, { ...entry });
    proc.files = { table };
  }
}

function copy(table: ReadonlyMap<number, Fd>): Map<number, Fd> {
  return new Map([...table].map(([fd, entry]) => [fd, { ...entry }]));
}
