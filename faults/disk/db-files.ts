// The database directory on the simulated filesystem, and its files as reads or a crash see
// them: what an open starts from and what rule 8 compares before and after a recovery.

import { bytesEqual } from '../../model/bytes.ts';
import { logFilesOf } from '../../model/oracle.ts';
import type { SimFs } from './sim-fs.ts';

/** Where the engine under test keeps its database on the simulated filesystem. */
export const DB_DIR = '/db';

export interface FilesNow {
  segments: Map<string, Uint8Array>;
  quarantined: Map<string, Uint8Array>;
}

/**
 * Every file under the database directory as reads see it now (path -> bytes), as bytes that
 * never change: a file whose bytes are its durable bytes is given as the durable view (SimFs
 * never changes those in place: after a crash, that is every file), any other is copied.
 */
export function dirFiles(fs: SimFs): Map<string, Uint8Array> {
  const durable = fs.durableView();
  const files = new Map<string, Uint8Array>();
  for (const [path, bytes] of fs.volatileView()) {
    if (!path.startsWith(`${DB_DIR}/`)) continue;
    const kept = durable.get(path);
    files.set(path, kept !== undefined && bytesEqual(kept, bytes) ? kept : new Uint8Array(bytes));
  }
  return files;
}

/** Every file under the database directory as reads see it now: views, valid until the next operation. */
export function dirFilesNow(fs: SimFs): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [path, bytes] of fs.volatileView())
    if (path.startsWith(`${DB_DIR}/`)) files.set(path, bytes);
  return files;
}

/** The log's segments and quarantined files as reads see them now, as bytes that never change (dirFiles). */
export function filesNow(fs: SimFs): FilesNow {
  return filesOf(dirFiles(fs));
}

/** The same as views, valid until the next operation: for a comparison made right away. */
export function filesViewNow(fs: SimFs): FilesNow {
  return filesOf(dirFilesNow(fs));
}

function filesOf(files: ReadonlyMap<string, Uint8Array>): FilesNow {
  return logFilesOf(files, DB_DIR);
}

/** The same files as a crash that loses everything unsynced would leave them (views: do not modify). */
export function durableFiles(fs: SimFs): FilesNow {
  return filesOf(fs.durableView());
}

export function sameFiles(a: FilesNow, b: FilesNow): boolean {
  return sameMap(a.segments, b.segments) && sameMap(a.quarantined, b.quarantined);
}

function sameMap(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bytes] of a) {
    const other = b.get(name);
    if (other === undefined || !bytesEqual(bytes, other)) return false;
  }
  return true;
}
