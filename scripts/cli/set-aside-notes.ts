// What recovery set aside, or would set aside, said on stderr: a torn tail is expected after
// a crash, but a segment of random bytes also reads as a "torn tail at offset 0", and then
// everything in it is gone (the numbering restarts) without a word unless we say so.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecoveryReport } from '../../src/db/recovery.ts';
import {
  OFFSET_LENGTH,
  OFFSET_TYPE,
  QUARANTINE_DIR,
  RECORD_HEADER_BYTES,
  RECORD_TYPE_BATCH,
} from '../../src/wal/format.ts';

/**
 * One line per action, and a warning when it is more than the tail of one record: a whole
 * segment, or a tail that does not begin with a record header whose length covers it. After
 * a writable open (report.applied) the bytes are read from quarantine/; after a read-only
 * one, which changes nothing, from the segment itself, and the lines say "would".
 * `quietTail` leaves out an action that is one record's torn tail (what every crash leaves):
 * scan's stderr then speaks only of what looks like more than a crash.
 */
export async function setAsideNotes(
  command: string,
  dir: string,
  report: RecoveryReport,
  { quietTail = false }: { quietTail?: boolean } = {},
): Promise<string[]> {
  const lines: string[] = [];
  const did = report.applied ? 'recovery set aside' : 'a writable open would set aside';
  for (const action of report.actions) {
    const to = `${QUARANTINE_DIR}/${action.to}`;
    const from = action.kind === 'quarantine-tail' ? ` from offset ${action.offset}` : '';
    const where = report.applied ? ` to ${to}` : ` (the entries end before it)`;
    const note = `walcheck ${command}: ${did} ${action.bytes} bytes of ${action.segment}${from}${where}`;
    if (action.kind === 'quarantine-tail' && isOneRecordTail(await tailOf(dir, report, action))) {
      if (!quietTail) lines.push(note);
      continue;
    }
    lines.push(note);
    const look = report.applied ? to : action.segment;
    lines.push(
      `walcheck ${command}: WARNING: that is more than the tail of one record; the log goes on after seq ${report.lastSeq}: if this was not expected, look at ${look}`,
    );
  }
  return lines;
}

async function tailOf(
  dir: string,
  report: RecoveryReport,
  action: Extract<RecoveryReport['actions'][number], { kind: 'quarantine-tail' }>,
): Promise<Uint8Array> {
  if (report.applied) return readFile(join(dir, QUARANTINE_DIR, action.to));
  return (await readFile(join(dir, action.segment))).subarray(action.offset);
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
