// walcheck load <dir> [--utf8]: batches from stdin, one JSON array a line, each acked on
// stdout once durable. The crash audits drive the engine through this command and kill
// it at random, so: lines are pipelined (group commit spans lines), an ack is printed
// only after its write resolved, acks come in line order, and they are flushed at once.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecoveryReport } from '../../src/db/recovery.ts';
import {
  OFFSET_LENGTH,
  QUARANTINE_DIR,
  OFFSET_TYPE,
  RECORD_HEADER_BYTES,
  RECORD_TYPE_BATCH,
} from '../../src/wal/format.ts';
import { codecFor } from '../../faults/engine/protocol/codec.ts';
import { defineCommand, EXIT_OK } from '../cli/command.ts';
import { loadLines, openForLoad } from '../cli/load-loop.ts';

export const command = defineCommand(
  {
    name: 'load',
    description: `
Opens the database directory <dir> for writing (creating it if needed, recovering as a
writable open does: a torn tail is moved to quarantine/, said on stderr, with a warning
when what is set aside is more than the tail of one record, e.g. a segment of random
bytes) and reads batches from stdin,
one JSON array a line:
  [["put", "<key>", "<value>"], ["del", "<key>"], ...]
Keys and values are hex (either case) or, with --utf8, UTF-8 text. Blank lines are
skipped. Each line is written as one batch; lines are submitted without waiting for
earlier ones, so one group commit may carry many. For each line, in order, once it
and every line before it are durable, prints
  {"seqStart": N, "count": N}

A malformed line (not JSON, an unknown operation, bad hex, a batch over 16 MiB) stops
the reading: nothing of it or after it is written, the lines before it finish and are
acked, and the error names its line number.

Exit status: 0 stdin ended and the database closed; 2 recovery refused the log
(corruption before the last segment); 3 usage or I/O error or a malformed line.`,
    positionals: [{ name: 'dir', description: 'a database directory (created if missing)' }],
    options: {
      utf8: { type: 'boolean', description: 'read keys and values as UTF-8 text instead of hex' },
    },
  },
  async (args) => {
    const codec = codecFor(args.flag('utf8'));
    const dir = args.positional('dir')!;
    const db = await openForLoad(dir);
    for (const line of await setAsideNotes(dir, db.recovery)) process.stderr.write(`${line}\n`);
    await loadLines(db, codec);
    return EXIT_OK;
  },
);

/**
 * What recovery set aside, for stderr: one line per action, and a warning when it is more
 * than the tail of one record: a whole segment, or a tail that does not begin with a record
 * header whose length covers it (random bytes look like a torn tail at offset 0, and the
 * numbering then restarts).
 */
export async function setAsideNotes(dir: string, report: RecoveryReport): Promise<string[]> {
  const lines: string[] = [];
  for (const action of report.actions) {
    const to = `${QUARANTINE_DIR}/${action.to}`;
    const from = action.kind === 'quarantine-tail' ? ` from offset ${action.offset}` : '';
    lines.push(
      `walcheck load: recovery set aside ${action.bytes} bytes of ${action.segment}${from} to ${to}`,
    );
    const oneRecord =
      action.kind === 'quarantine-tail' && isOneRecordTail(await readFile(join(dir, to)));
    if (!oneRecord)
      lines.push(
        `walcheck load: WARNING: that is more than the tail of one record; the log goes on after seq ${report.lastSeq}: if this was not expected, look at ${to}`,
      );
  }
  return lines;
}

/** Whether `tail` is at most one record: a cut header, or a batch header whose length covers it. */
export function isOneRecordTail(tail: Uint8Array): boolean {
  if (tail.length < RECORD_HEADER_BYTES) return true;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const length = view.getUint32(OFFSET_LENGTH, true);
  return (
    view.getUint8(OFFSET_TYPE) === RECORD_TYPE_BATCH && tail.length <= RECORD_HEADER_BYTES + length
  );
}
