// walcheck dump <dir-or-segment> [--json] [--utf8]: every valid record, then the first
// invalid one. Uses the same scan as verify and recovery, so all three agree on where a
// log ends.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeFileSystem } from '../../src/fs/node-fs.ts';
import { LOGICAL_KIND_PUT, OFFSET_SEQ_START, RECORD_HEADER_BYTES } from '../../src/wal/format.ts';
import { asBuffer, scanLog, scanSegment } from '../../src/wal/log-scan.ts';
import { forEachLogical, type ValidRecord } from '../../src/wal/record-reader.ts';
import { type Codec, codecFor } from '../../faults/engine/protocol/codec.ts';
import { defineCommand, EXIT_OK } from '../cli/command.ts';
import { LineWriter, plural } from '../cli/output.ts';
import { pathKind } from '../cli/paths.ts';

interface Invalid {
  segment: string;
  offset: number;
  reason: string;
}

type Logical = { kind: 'put'; key: string; value: string } | { kind: 'del'; key: string };

export const command = defineCommand(
  {
    name: 'dump',
    description: `
Prints every valid record of a database directory (its segments in order) or of one
segment file, then the first invalid record if there is one; reads only.

Each record: its segment, offset, seqStart, count and logical records (put with key
and value, del with key). With --json, one object a line:
  {"segment", "offset", "seqStart", "count", "records": [{"kind": "put", "key", "value"} | {"kind": "del", "key"}]}
and last, when a record is invalid:
  {"invalid": {"segment", "offset", "reason"}}

For a single segment file the sequence number its first record should carry is not
known, so the first record's own seqStart is taken; the records after it must follow
on. Exit status: 0 once everything was printed (whether or not a record is invalid;
see verify for a status), 3 usage or I/O error.`,
    positionals: [
      { name: 'dir-or-segment', description: 'a database directory, or one segment file' },
    ],
    options: {
      json: { type: 'boolean', description: 'print one JSON object a line' },
      utf8: {
        type: 'boolean',
        description: 'print keys and values as UTF-8 text instead of lowercase hex',
      },
    },
  },
  async (args) => {
    const path = args.positional('dir-or-segment')!;
    const kind = await pathKind(path);
    const out = new LineWriter();
    const print = printerFor(out, codecFor(args.flag('utf8')), args.flag('json'));
    const invalid =
      kind === 'directory' ? await dumpDirectory(path, print) : await dumpSegmentFile(path, print);
    if (invalid !== null) print.invalid(invalid);
    out.flush();
    return EXIT_OK;
  },
);

interface Printer {
  record(segment: string, bytes: Buffer, record: ValidRecord): void;
  invalid(invalid: Invalid): void;
}

async function dumpDirectory(dir: string, print: Printer): Promise<Invalid | null> {
  const scan = await scanLog(new NodeFileSystem(), dir, (bytes, record, segment) =>
    print.record(segment.name, bytes, record),
  );
  const invalid = scan.firstInvalid;
  return invalid === null
    ? null
    : { segment: invalid.segment, offset: invalid.offset, reason: invalid.reason };
}

async function dumpSegmentFile(path: string, print: Printer): Promise<Invalid | null> {
  const bytes = asBuffer(await readFile(path));
  const name = basename(path);
  const scan = scanSegment(bytes, ownSeqStart(bytes), (record) =>
    print.record(name, bytes, record),
  );
  return scan.invalid === null ? null : { segment: name, ...scan.invalid };
}

/** The seqStart field of the first record, read as record-reader does (or 1 if there is no header). */
function ownSeqStart(bytes: Buffer): number {
  if (bytes.length < RECORD_HEADER_BYTES) return 1;
  return (
    bytes.readUInt32LE(OFFSET_SEQ_START) + bytes.readUInt32LE(OFFSET_SEQ_START + 4) * 0x1_0000_0000
  );
}

function logicalRecords(
  segment: string,
  bytes: Buffer,
  record: ValidRecord,
  codec: Codec,
): Logical[] {
  const logical: Logical[] = [];
  forEachLogical(bytes, record, (kind, keyOffset, keyLength, valueOffset, valueLength, seq) => {
    const where = `of seq ${seq} (${segment} offset ${record.offset})`;
    const key = codec.encode(bytes.subarray(keyOffset, keyOffset + keyLength), `the key ${where}`);
    if (kind !== LOGICAL_KIND_PUT) logical.push({ kind: 'del', key });
    else
      logical.push({
        kind: 'put',
        key,
        value: codec.encode(
          bytes.subarray(valueOffset, valueOffset + valueLength),
          `the value ${where}`,
        ),
      });
  });
  return logical;
}

function printerFor(out: LineWriter, codec: Codec, json: boolean): Printer {
  if (json) {
    return {
      record(segment, bytes, record) {
        const records = logicalRecords(segment, bytes, record, codec);
        out.json({
          segment,
          offset: record.offset,
          seqStart: record.seqStart,
          count: record.count,
          records,
        });
      },
      invalid(invalid) {
        out.json({ invalid });
      },
    };
  }
  return {
    record(segment, bytes, record) {
      const last = record.seqStart + record.count - 1;
      out.line(
        `${segment} offset ${record.offset}: seq ${record.seqStart}..${last} (${plural(record.count, 'record')}, ${plural(record.end - record.offset, 'byte')})`,
      );
      let seq = record.seqStart;
      for (const l of logicalRecords(segment, bytes, record, codec)) {
        const text =
          l.kind === 'put'
            ? `put ${JSON.stringify(l.key)} = ${JSON.stringify(l.value)}`
            : `del ${JSON.stringify(l.key)}`;
        out.line(`  ${seq++} ${text}`);
      }
    },
    invalid(invalid) {
      out.line(`${invalid.segment} offset ${invalid.offset}: invalid: ${invalid.reason}`);
    },
  };
}
