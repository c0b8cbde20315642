// Bug-zoo variants for the classes of bug the harness was once blind to (issue 11): reads
// with bounds, failed groups, refused batches and sequence numbers, recovery modes on damage
// in an earlier segment, lifecycle (close, a second open), and liveness. Same format as
// zoo.ts (which lists them after its own); each is caught by the default campaign or explore.
//
//   name                          rules  needs     what is broken
//   failed-group-leader-only        7    campaign  a failed group refuses its first batch only; the rest never settle
//   reverse-scan-includes-lt        4    campaign  a reverse scan starts at an exclusive upper bound's own key
//   failed-group-applied            7    campaign  a group is visible before its write returns; a failure leaves it visible
//   refused-batch-takes-seq         5    campaign  a batch refused inside its group keeps the sequence numbers it would have had
//   close-drops-queued              5    campaign  close() empties the write queue without settling what was in it
//   second-open-shares-lock         2    campaign  a lock this process already holds is shared: two writers on one log
//   tolerate-tail-earlier-damage    6    campaign  tolerate-tail cuts at an invalid record in an earlier segment instead of refusing
//   pit-deletes-later-segments      8    campaign  point-in-time deletes the segments after the invalid record

import type { Mutant } from './mutant.ts';

const PIPELINE = 'src/db/write-pipeline.ts';
const MEMTABLE = 'src/memtable/memtable.ts';
const DATABASE = 'src/db/database.ts';
const RECOVERY = 'src/db/recovery.ts';

export const BLIND_SPOT_MUTANTS: readonly Mutant[] = [
  {
    name: 'failed-group-leader-only',
    bug: "a failed group commit rejects the leader's batch and forgets the other members: they stay pending forever",
    shipped:
      'error paths that complete only the request that hit the error, leaving the rest of a batch-of-requests hanging',
    rules: [7],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: '    for (const pending of group) pending.reject(error);\n',
        replace: "    group[0]!.reject(error); // the leader's batch carries the error\n",
      },
    ],
  },
  {
    name: 'reverse-scan-includes-lt',
    bug: "a reverse scan seeks to its upper bound's key even when the bound is exclusive (lt), and returns that key",
    shipped:
      'reverse iterators that seek with the inclusive comparison for both bound kinds: off-by-one at the upper bound',
    rules: [4],
    needs: 'campaign',
    edits: [
      {
        file: MEMTABLE,
        find: '    const seqBound = upper.inclusive ? SEQ_BELOW_ALL : SEQ_ABOVE_ALL;\n',
        replace: '    const seqBound = SEQ_BELOW_ALL; // start at the bound key itself\n',
      },
    ],
  },
  {
    name: 'failed-group-applied',
    bug: "a group's batches are made visible (their boundaries published) before its write returns; when it fails, reads keep showing the refused batches",
    shipped:
      'publishing a commit to readers before the log write succeeds, with no undo on error (dirty reads of failed writes)',
    rules: [7],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: `    await durable;
    assert(this.nextSeq === this.boundaries.lastSeq + 1, 'the next seq follows the last batch');
    this.nextSeq = seq;
    for (const { record } of encoded) this.boundaries.add(record.seqStart + record.count - 1);
`,
        replace: `    for (const { record } of encoded) this.boundaries.add(record.seqStart + record.count - 1); // readers see the group at once
    await durable;
    this.nextSeq = seq;
`,
      },
    ],
  },
  {
    name: 'refused-batch-takes-seq',
    bug: 'a queued batch refused while its group is encoded (its caller changed it) keeps the sequence numbers it would have had',
    shipped:
      'sequence numbers reserved when a request is queued and never given back when it is rejected: gaps, and acks numbered wrong',
    rules: [5],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: "      if (end === null) continue; // that caller's batch alone is refused; it took no seq\n",
        replace: `      if (end === null) {
        seq += pending.batch.length; // its numbers stay reserved
        continue;
      }
`,
      },
    ],
  },
  {
    name: 'close-drops-queued',
    bug: 'close() empties the write queue before waiting for the group in flight: queued writes never settle',
    shipped:
      'shutdown paths that clear pending requests without completing or failing them (callers hang)',
    rules: [5],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: '  async close(): Promise<void> {\n    if (this.leading)',
        replace:
          '  async close(): Promise<void> {\n    this.queue.length = this.queueHead; // nothing new starts\n    if (this.leading)',
      },
    ],
  },
  {
    name: 'second-open-shares-lock',
    bug: 'a writable open that finds the lock held takes it as its own (re-entrant): two writers append to one log',
    shipped:
      'lock files checked by owner pid, so a second open in the same process passes as the owner (two writers, interleaved logs)',
    rules: [2],
    needs: 'campaign',
    edits: [
      {
        file: DATABASE,
        find: `    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new WalError(`,
        replace: `    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      if (fs !== undefined) return { release: async () => {} }; // held by this process: shared
      throw new WalError(`,
      },
    ],
  },
  {
    name: 'tolerate-tail-earlier-damage',
    bug: 'tolerate-tail accepts an invalid record in any segment: it cuts there and sets later segments aside instead of refusing',
    shipped:
      'a tolerant recovery mode that treats mid-log corruption like a torn tail and silently drops every later segment',
    rules: [6],
    needs: 'campaign',
    edits: [
      {
        file: RECOVERY,
        find: "  if (mode === 'tolerate-tail' && scan.status === 'torn-tail') return;\n",
        replace: "  if (mode === 'tolerate-tail') return; // keep what replayed\n",
      },
    ],
  },
  {
    name: 'pit-deletes-later-segments',
    bug: 'point-in-time recovery deletes the segments after the invalid record instead of moving them to quarantine/',
    shipped:
      'point-in-time recovery that unlinks the log files past the recovery point (the data a user might still salvage is gone)',
    rules: [8],
    needs: 'campaign',
    edits: [
      {
        file: RECOVERY,
        find: '      await fs.rename(joinPath(dir, action.segment), joinPath(quarantine, action.to));\n',
        replace:
          '      await fs.unlink(joinPath(dir, action.segment)); // past the recovery point\n',
      },
    ],
  },
];
