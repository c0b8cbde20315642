// The database directory's names and sizes as the traced calls change them, so that the
// recorder can give O_APPEND writes absolute offsets, write through a descriptor to the file's
// current name after a rename, and tell a creating open from one that found the file. A node
// is an inode: hard links share one, and a descriptor keeps its node after the name is gone.

import type { StartEntry } from './audit-ops.ts';

export interface FileNode {
  readonly dir: boolean;
  size: number;
  /** Its current names (paths relative to the database directory); empty once unlinked. */
  readonly names: Set<string>;
}

export class Namespace {
  private readonly entries = new Map<string, FileNode>();

  constructor(start: readonly StartEntry[]) {
    this.add('', true, 0);
    for (const entry of start) {
      this.add(entry.path, entry.kind === 'dir', entry.kind === 'file' ? entry.data.length : 0);
    }
  }

  get(path: string): FileNode | undefined {
    return this.entries.get(path);
  }

  add(path: string, dir: boolean, size = 0): FileNode {
    const node: FileNode = { dir, size, names: new Set([path]) };
    this.entries.set(path, node);
    return node;
  }

  remove(path: string): void {
    const node = this.entries.get(path);
    if (node === undefined) return;
    node.names.delete(path);
    this.entries.delete(path);
  }

  link(from: string, to: string): void {
    const node = this.entries.get(from);
    if (node === undefined) return;
    this.remove(to);
    node.names.add(to);
    this.entries.set(to, node);
  }

  /** POSIX rename: replaces `to`; a directory takes everything below it along. */
  rename(from: string, to: string): void {
    const node = this.entries.get(from);
    if (node === undefined || this.entries.get(to) === node) return;
    const moved = [...this.entries.entries()].filter(
      ([path]) => path === from || path.startsWith(`${from}/`),
    );
    this.remove(to);
    for (const [path, child] of moved) {
      const target = to + path.slice(from.length);
      this.entries.delete(path);
      child.names.delete(path);
      child.names.add(target);
      this.entries.set(target, child);
    }
  }
}

/** A node's current name, or null once it has none (unlinked while open). */
export function nameOf(node: FileNode): string | null {
  for (const name of node.names) return name;
  return null;
}
