// walcheck verify <dir> [--json]: the status of a log (src/wal/wal-format.md section 8), read-only.

import { readdir } from 'node:fs/promises';
import { NodeFileSystem } from '../../src/fs/node-fs.ts';
import { parseSegmentName, SEGMENT_DIGITS, segmentName } from '../../src/wal/format.ts';
import { type LogScan, type LogStatus, scanLog } from '../../src/wal/log-scan.ts';
import { defineCommand, EXIT_CORRUPT, EXIT_FOUND, EXIT_OK } from '../cli/command.ts';
import { LineWriter, plural } from '../cli/output.ts';
import { requireDirectory } from '../cli/paths.ts';

const EXIT_BY_STATUS: Record<LogStatus, number> = {
  clean: EXIT_OK,
  'torn-tail': EXIT_FOUND,
  corrupt: EXIT_CORRUPT,
};

export const command = defineCommand(
  {
    name: 'verify',
    description: `
Checks every segment of the database directory <dir> without changing anything and
reports its status: clean (every byte of every segment is a valid record), torn-tail
(the first invalid record is in the last segment) or corrupt (it is in an earlier
segment, or a segment is missing), with the first invalid record and the valid records
and last sequence number before it. A directory with no segment is clean with nothing
checked: stderr says so, and names files that look like segments but are not named as
one (1.wal, 000001.log), which are not checked.

--json prints one object:
  {"status", "records", "lastSeq", "firstInvalid": {"segment", "offset", "reason"} | null,
   "segments": [{"name", "bytes", "records"}]}

Exit status: 0 clean, 1 torn-tail, 2 corrupt, 3 usage or I/O error.`,
    positionals: [{ name: 'dir', description: 'a database directory' }],
    options: {
      json: { type: 'boolean', description: 'print one JSON object instead of a summary' },
    },
  },
  async (args) => {
    const dir = args.positional('dir')!;
    await requireDirectory(dir);
    const scan = await scanLog(new NodeFileSystem(), dir);
    for (const line of await nothingChecked(dir, scan)) process.stderr.write(`${line}\n`);
    const out = new LineWriter();
    if (args.flag('json')) out.json(verifyJson(scan));
    else for (const line of summary(scan)) out.line(line);
    out.flush();
    return EXIT_BY_STATUS[scan.status];
  },
);

/** A segment-like name that is not one (1.wal, 000001.log): likely a mistake, said so. */
const SEGMENT_LIKE = /\.(wal|log)$/;

/**
 * Lines for stderr when the directory holds no segment (clean would mean nothing was
 * checked), and for names that look like segments but are not (they were not checked).
 */
async function nothingChecked(dir: string, scan: LogScan): Promise<string[]> {
  const ignored = (await readdir(dir))
    .filter((name) => SEGMENT_LIKE.test(name) && parseSegmentName(name) === null)
    .sort();
  const lines = ignored
    .slice(0, IGNORED_SHOWN_MAX)
    .map(
      (name) =>
        `walcheck verify: ignored ${name}: not a segment name (${SEGMENT_DIGITS} digits + .wal), not checked`,
    );
  if (ignored.length > IGNORED_SHOWN_MAX)
    lines.push(`walcheck verify: ... and ${ignored.length - IGNORED_SHOWN_MAX} more ignored`);
  if (scan.segments.length === 0)
    lines.push(
      `walcheck verify: no segment in ${dir}: nothing was checked (segments are named like ${segmentName(1)})`,
    );
  return lines;
}

const IGNORED_SHOWN_MAX = 10;

/** The scripts/cli.md object, fields in the documented order. */
export function verifyJson(scan: LogScan): object {
  const invalid = scan.firstInvalid;
  return {
    status: scan.status,
    records: scan.records,
    lastSeq: scan.lastSeq,
    firstInvalid:
      invalid === null
        ? null
        : { segment: invalid.segment, offset: invalid.offset, reason: invalid.reason },
    segments: scan.segments.map((s) => ({ name: s.name, bytes: s.bytes, records: s.records })),
  };
}

function summary(scan: LogScan): string[] {
  const lines = [
    `${scan.status}: ${plural(scan.records, 'valid record')}, lastSeq ${scan.lastSeq}, ${plural(scan.segments.length, 'segment')}`,
  ];
  for (const s of scan.segments)
    lines.push(`  ${s.name}  ${plural(s.bytes, 'byte')}  ${plural(s.records, 'record')}`);
  const invalid = scan.firstInvalid;
  if (invalid !== null)
    lines.push(
      `first invalid record: ${invalid.segment} at offset ${invalid.offset}: ${invalid.reason}`,
    );
  return lines;
}
