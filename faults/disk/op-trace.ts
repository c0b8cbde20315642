// The vocabulary of the simulated filesystem's operation trace. Every operation, successful
// or not, gets the next index; a crash point and an injected fault name operations by it.

export const OP_KINDS = [
  'open',
  'read',
  'write',
  'datasync',
  'dsync', // the sync half of a write on an O_DSYNC handle (sim-handle.ts)
  'truncate',
  'size',
  'close',
  'readFile',
  'writeFile',
  'rename',
  'unlink',
  'list',
  'mkdir',
  'syncDir',
  'stat',
  'lock',
  'link',
  'rmdir',
  'syncAll',
] as const;

export type OpKind = (typeof OP_KINDS)[number];

export interface TraceEntry {
  /** Global operation index, from 0. */
  index: number;
  op: OpKind;
  /** Normalized path; for handle operations the path the handle was opened with. */
  path: string;
  /** rename: the destination. */
  to?: string | undefined;
  /** read/write/truncate: file position (truncate: the new size). */
  offset?: number | undefined;
  /** read/write: bytes asked for. */
  length?: number | undefined;
  /** A number the operation returned (bytes read or written, size), or the error code it failed with. */
  result?: number | string | undefined;
}

/** One line per entry, for violation reports. */
export function formatTrace(trace: readonly TraceEntry[]): string {
  return trace
    .map((e) => {
      let line = `#${e.index} ${e.op} ${e.path}`;
      if (e.to !== undefined) line += ` -> ${e.to}`;
      if (e.offset !== undefined) line += ` @${e.offset}`;
      if (e.length !== undefined) line += ` len=${e.length}`;
      if (e.result !== undefined) line += ` => ${e.result}`;
      return line;
    })
    .join('\n');
}
