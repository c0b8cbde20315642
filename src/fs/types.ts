// The filesystem seam, after Pebble's vfs: every byte the engine reads or writes goes
// through this interface, so a simulated, crash-injecting filesystem can replace node:fs.
// Paths are plain strings joined with '/'. Errors carry a POSIX `code` (ENOENT, EIO, ...).

export interface FileStat {
  size: number;
  isDirectory: boolean;
}

export interface FileHandle {
  /** Reads up to `length` bytes at `position` into `buffer` from `offset`; returns bytes read. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /**
   * Writes `data` at `position`; returns bytes written, which may be fewer (a short write).
   * On a handle opened with a `-dsync` mode (O_DSYNC) the bytes written are durable, with the
   * size that reads them, when it resolves; a rejection leaves them as a failed datasync does.
   */
  write(data: Uint8Array, position: number): Promise<number>;
  /** Makes the file's data and size durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface Lock {
  release(): Promise<void>;
}

export type OpenMode =
  | 'read' // existing file, read only
  | 'write' // existing file, read and write
  | 'create' // create if missing (not truncated), read and write
  | 'write-dsync' // as 'write', every write durable when it returns (O_DSYNC)
  | 'create-dsync'; // as 'create', every write durable when it returns (O_DSYNC)

/** Whether `mode` creates a missing file. */
export function createsFile(mode: OpenMode): boolean {
  return mode === 'create' || mode === 'create-dsync';
}

/** Whether writes through a handle opened with `mode` are durable when they return (O_DSYNC). */
export function isDsync(mode: OpenMode): boolean {
  return mode === 'write-dsync' || mode === 'create-dsync';
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or replaces a file with `data` (not synced). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Entry names of a directory, sorted. */
  list(path: string): Promise<string[]>;
  /** Creates a directory (and missing parents); no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Makes the directory's entries (creates, renames, unlinks) durable. */
  syncDir(path: string): Promise<void>;
  /** Stat, or null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Exclusive writer lock on a directory; fails with code ELOCKED while another holder lives. */
  lock(dir: string): Promise<Lock>;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** The directory holding `path` ('/' for a top-level entry, '.' for a bare name). */
export function parentPath(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : trimmed.slice(0, slash);
}
