// The bug zoo: deliberately broken variants of the engine, each a small patch of src/ that
// reproduces a durability bug real storage engines have shipped. `walcheck mutants` runs the
// crash campaign and the explorer against every one of them and expects each to be caught; a
// variant that escapes means the harness lost a capability (or the oracle a rule).
//
// A patch is data: for each edit, a string that must occur exactly once in the named file of
// the current src/ and its replacement (mutant-engine.ts applies them to a copy, so the
// shipped engine carries no test switch). A refactor of src/ that moves a patched line makes
// the patch fail loudly instead of silently testing the correct engine.
//
//   name                        rules  needs     what is broken
//   ack-before-fsync              1    campaign  the log is opened without O_DSYNC: acks from the page cache
//   group-commit-leader-sync      1    campaign  followers acked on the leader's write, theirs written after
//   segment-dir-entry-unsynced    1    campaign  a new segment's directory entry is never fsynced
//   rotate-before-durable         1    campaign  a rotated-to segment is opened without O_DSYNC
//   replay-partial-batch         2,3   campaign  the decodable entries of a torn record are replayed
//   crc-unchecked                3,2   campaign  the record checksum is not compared
//   seq-start-unchecked           6    explore   seqStart is not compared with the expected sequence
//   count-unchecked               6    explore   the header's count is trusted, not checked
//   replay-skips-invalid         6,2   explore   replay steps over an invalid record and goes on
//   append-after-torn-tail        1    campaign  a torn tail stays in place; new records go after it
//   fsync-retry                   1    campaign  fsyncgate: a failed O_DSYNC write is retried as a datasync
//   seq-reuse-after-recovery      5    explore   after recovery numbering restarts at the record count
//   memtable-seq-ascending       2,3   campaign  versions of a key ordered oldest first: stale reads
//   get-ignores-tombstones       2,4   campaign  a point read steps over a tombstone to an older value
//   torn-tail-dropped             8    campaign  the torn tail is cut off without a copy in quarantine/
//
// zoo-blind-spots.ts adds 8 more (issue 11): reads with bounds, failed groups, refusals,
// lifecycle, recovery modes and liveness; zoo-reach.ts 2 (issue 16): an open while close()
// drains, node-fs.ts's open flags (caught by the audit, `needs: 'audit'`); MUTANTS lists all of them.
//
// `rules` lists the oracle rules that catch a variant, the usual one first; `needs` the
// harness that catches it fastest (run-mutants.ts runs it first, then the other).
// seq-start-unchecked and count-unchecked are reachable only through a record that passes
// its checksum in the wrong place (field damage with the CRC recomputed), and
// seq-reuse-after-recovery only as a refused write after recovery (the memtable's own
// invariant refuses the reused numbers): see `walcheck mutants` for whether the harness
// currently generates and judges those.

import type { Mutant } from './mutant.ts';
import { BLIND_SPOT_MUTANTS } from './zoo-blind-spots.ts';
import { REACH_MUTANTS } from './zoo-reach.ts';

const LOG_WRITER = 'src/db/log-writer.ts';
const PIPELINE = 'src/db/write-pipeline.ts';
const RECOVERY = 'src/db/recovery.ts';
const DATABASE = 'src/db/database.ts';
const READER = 'src/wal/record-reader.ts';
const SCAN = 'src/wal/log-scan.ts';
const MEMTABLE = 'src/memtable/memtable.ts';
const COLUMNS = 'src/memtable/version-columns.ts';

const APPEND_DURABLE_WRITE = `    await writeFully(this.active.handle, records, this.active.bytes);
`;

const BUILT_AROUND: readonly Mutant[] = [
  {
    name: 'ack-before-fsync',
    bug: 'segments are opened without O_DSYNC, so a group is acknowledged once its write reaches the page cache',
    shipped:
      'acking from the page cache: commits acknowledged once write(2) returns, synced later (lost on power failure)',
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: LOG_WRITER,
        find: `'write-dsync');`,
        replace: `'write'); // O_DSYNC dropped`,
      },
      {
        file: LOG_WRITER,
        find: `const SEGMENT_MODE = 'create-dsync';`,
        replace: `const SEGMENT_MODE = 'create'; // O_DSYNC dropped`,
      },
    ],
  },
  {
    name: 'group-commit-leader-sync',
    bug: "group commit acknowledges the followers once the leader's record is durable, and writes theirs after",
    shipped:
      "group commit that acks followers on the leader's fsync although their records were appended after it",
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: `    const durable = this.log.append(
      offset === records.length ? records : records.subarray(0, offset),
    );
`,
        replace: `    const leaderEnd = encoded[0]!.record.end;
    await this.log.append(records.subarray(0, leaderEnd)); // the leader's record, durable
    for (const { pending, record } of encoded.slice(1)) pending.resolve({ seqStart: record.seqStart, count: record.count }); // they ride on it
    const durable = this.log.append(records.subarray(leaderEnd, offset));
`,
      },
    ],
  },
  {
    name: 'segment-dir-entry-unsynced',
    bug: 'a new segment is created and written, but its directory entry is never fsynced',
    shipped:
      'a new file fsynced but not its directory, so its name can vanish on power loss (a classic crash-consistency bug)',
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: LOG_WRITER,
        find: `  assert(bytes === 0, \`new segment \${path} is empty\`);
  await fs.syncDir(dir);
`,
        replace: `  assert(bytes === 0, \`new segment \${path} is empty\`);
`,
      },
    ],
  },
  {
    name: 'rotate-before-durable',
    bug: 'a log switch opens the next segment without O_DSYNC, so groups after the first rotation are acked unsynced',
    shipped:
      'a log switch that opens the new log file with weaker options than the first (its writes never synced)',
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: LOG_WRITER,
        find: '    const next = await createSegment(this.fs, this.dir, this.active.number + 1);\n',
        replace: `    const nextPath = joinPath(this.dir, segmentName(this.active.number + 1));
    const next = { number: this.active.number + 1, handle: await this.fs.open(nextPath, 'create'), bytes: 0 };
    await this.fs.syncDir(this.dir);
`,
      },
    ],
  },
  {
    name: 'replay-partial-batch',
    bug: 'replay applies the logical records of a torn or checksum-failing record that still decode',
    shipped:
      'log readers that apply entries as they decode them and check the checksum last (a torn batch half applied)',
    rules: [3, 2],
    needs: 'campaign',
    edits: [
      {
        file: SCAN,
        find: `    if (!outcome.valid) {
      return`,
        replace: `    if (!outcome.valid) {
      if (outcome.reason === 'checksum-mismatch' || outcome.reason === 'truncated-payload') salvage(bytes, offset, next, visit);
      return`,
      },
      {
        file: SCAN,
        find: 'function statusOf(',
        replace: `/** The logical records of a damaged record that still decode, replayed as a record of their own. */
function salvage(bytes: Buffer, offset: number, seqStart: number, visit?: (record: ValidRecord) => void): void {
  const end = Math.min(bytes.length, offset + 24 + bytes.readUInt32LE(offset + 4));
  const countMax = bytes.readUInt32LE(offset + 20);
  let at = offset + 24;
  let count = 0;
  while (count < countMax && at + 9 <= end) {
    const next = at + 9 + bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4);
    if (next > end || bytes[at + 8]! > 1) break;
    at = next;
    count++;
  }
  if (count > 0) visit?.({ valid: true, offset, seqStart, count, payloadOffset: offset + 24, end: at });
}

function statusOf(`,
      },
    ],
  },
  {
    name: 'crc-unchecked',
    bug: 'the record checksum is computed by the writer but never compared by the reader',
    shipped:
      'checksums written but not verified on replay (verification off by default, or skipped on the recovery path)',
    rules: [3, 2],
    needs: 'campaign',
    edits: [
      {
        file: READER,
        find: "  if (crc !== u32(segment, offset + OFFSET_CRC)) return invalid(offset, 'checksum-mismatch');\n",
        replace: '',
      },
    ],
  },
  {
    name: 'seq-start-unchecked',
    bug: "a record's seqStart is not compared with the sequence number the log expects next",
    shipped:
      'replay that trusts the sequence number in each record, so a stale or misplaced record is replayed',
    rules: [6],
    needs: 'explore',
    edits: [
      {
        file: READER,
        find: 'if (seqStart !== expectedSeq || count - 1 > SEQ_MAX - seqStart)',
        replace: 'if (count - 1 > SEQ_MAX - seqStart)',
      },
    ],
  },
  {
    name: 'count-unchecked',
    bug: "the header's count is trusted: the payload is parsed to its end without checking it holds exactly count records",
    shipped:
      'batch headers whose entry count is not cross-checked against the payload (LevelDB checks it: "WriteBatch has wrong count")',
    rules: [6],
    needs: 'explore',
    edits: [
      {
        file: READER,
        find: '  if (count < 1 || !payloadParses(segment, payloadOffset, end, count))\n    return',
        replace: '  if (!payloadParses(segment, payloadOffset, end))\n    return',
      },
      {
        file: READER,
        find: `function payloadParses(segment: Uint8Array, start: number, end: number, count: number): boolean {
  let at = start;
  // Each logical record takes at least 9 bytes, so \`count\` bounds the loop and a count
  // larger than the payload could hold fails without iterating.
  if (count > (end - start) / LOGICAL_HEADER_BYTES) return false;
  for (let i = 0; i < count; i++) {
`,
        replace: `function payloadParses(segment: Uint8Array, start: number, end: number): boolean {
  let at = start;
  // Logical records back to back up to the end of the payload (each takes at least 9 bytes).
  for (let i = 0; at < end && i <= (end - start) / LOGICAL_HEADER_BYTES; i++) {
`,
      },
    ],
  },
  {
    name: 'replay-skips-invalid',
    bug: 'replay steps over an invalid record (by its length field) and goes on with the records after it',
    shipped:
      'recovery that reports a corrupt record and replays on after it (LevelDB without paranoid_checks, RocksDB kSkipAnyCorruptedRecords)',
    rules: [6, 2],
    needs: 'explore',
    edits: [
      {
        file: SCAN,
        find: `    if (!outcome.valid) {
      return`,
        replace: `    if (!outcome.valid) {
      // Step over the bad record; if a valid one follows, resynchronise on its sequence number.
      const skipTo = offset + 24 + (bytes.length - offset >= 24 ? bytes.readUInt32LE(offset + 4) : bytes.length);
      if (skipTo + 24 <= bytes.length) {
        const resync = readRecord(bytes, skipTo, bytes.readUInt32LE(skipTo + 12) + bytes.readUInt32LE(skipTo + 16) * 0x1_0000_0000);
        if (resync.valid) {
          offset = skipTo;
          next = resync.seqStart;
          continue;
        }
      }
      return`,
      },
    ],
  },
  {
    name: 'append-after-torn-tail',
    bug: 'recovery leaves a torn tail in place and the writer appends new records after the garbage',
    shipped:
      'reopening the log in append mode past a torn write: the next replay stops at the garbage and loses later acks',
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: RECOVERY,
        find: '  const actions = await planActions(fs, dir, scan);\n',
        replace:
          "  const actions = scan.status === 'torn-tail' ? [] : await planActions(fs, dir, scan); // a torn tail is just the end\n",
      },
    ],
  },
  {
    name: 'fsync-retry',
    bug: 'an O_DSYNC write that fails is retried as a datasync, and the group is acknowledged when that succeeds',
    shipped:
      'fsyncgate (PostgreSQL, 2018): retrying fsync after EIO, though Linux had already dropped the dirty pages',
    rules: [1],
    needs: 'campaign',
    edits: [
      {
        file: LOG_WRITER,
        find: APPEND_DURABLE_WRITE,
        replace: `    try {
      await writeFully(this.active.handle, records, this.active.bytes);
    } catch {
      await this.active.handle.datasync(); // transient I/O error: sync again
    }
`,
      },
    ],
  },
  {
    name: 'seq-reuse-after-recovery',
    bug: 'after recovery the next sequence number is taken from the number of records replayed, not from lastSeq',
    shipped:
      'sequence numbers restored from the wrong counter after a restart, so new writes reuse recovered numbers',
    rules: [5],
    needs: 'explore',
    edits: [
      {
        file: DATABASE,
        find: 'await openPipeline(resolved, dir, memtable, boundaries, report.lastSeq)',
        replace: 'await openPipeline(resolved, dir, memtable, boundaries, report.records)',
      },
    ],
  },
  {
    name: 'memtable-seq-ascending',
    bug: "the version comparator orders a key's versions by ascending seq, so reads after recovery find the oldest",
    shipped:
      'an internal-key comparator with the sequence order flipped: reads return stale versions',
    rules: [2, 3],
    needs: 'campaign',
    edits: [
      {
        file: COLUMNS,
        find: 'return byKey !== 0 ? byKey : this.seq[b]! - this.seq[a]!;',
        replace: 'return byKey !== 0 ? byKey : this.seq[a]! - this.seq[b]!;',
      },
    ],
  },
  {
    name: 'get-ignores-tombstones',
    bug: 'a point read that lands on a tombstone walks on to the next older version and returns its value',
    shipped:
      'lookup paths that do not stop at a tombstone: deleted keys come back (resurrected data)',
    rules: [2, 4], // a get at a snapshot (rule 4) steps over the tombstone too
    needs: 'campaign',
    edits: [
      {
        file: MEMTABLE,
        find: '    return v.kind[node] === KIND_PUT ? v.value(node) : undefined;\n',
        replace: `    let found = node; // the newest value of the key, past any tombstone
    for (let walked = 0; found !== NIL && v.kind[found] !== KIND_PUT && walked < v.count; walked++) found = this.list.next(found);
    return found !== NIL && v.sameKey(found, node) ? v.value(found) : undefined;
`,
      },
    ],
  },
  {
    name: 'torn-tail-dropped',
    bug: 'recovery truncates a torn tail without first copying the bytes to quarantine/',
    shipped:
      'tolerant recovery that silently discards the unreadable tail (what most engines do by default)',
    rules: [8],
    needs: 'campaign',
    edits: [
      {
        file: RECOVERY,
        find: `  const bytes = await fs.readFile(segmentPath);
  const tailPath = joinPath(quarantine, action.to);
  const tail = await fs.open(tailPath, 'create');
  try {
    await writeFully(tail, bytes.subarray(action.offset), 0);
    await tail.datasync();
  } finally {
    await tail.close();
  }
  await fs.syncDir(quarantine);
`,
        replace: '',
      },
    ],
  },
];

/** The variants the harness was built around, then those that showed its blind spots (issue 11). */
export const MUTANTS: readonly Mutant[] = [
  ...BUILT_AROUND,
  ...BLIND_SPOT_MUTANTS,
  ...REACH_MUTANTS,
];

export function mutantNamed(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}
