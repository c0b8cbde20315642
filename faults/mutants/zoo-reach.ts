// Bug-zoo variants for code the default runs once never reached (issue 16 item 5): an open
// while close() drains, and the flags node-fs.ts passes to the kernel (two processes breaking
// one stale LOCK, the third class, is not here yet: see README, The bug zoo). Same format as zoo.ts (which lists them last); each passed every default run
// before the step that catches it was added.
//
//   name                          rules  needs     what is broken
//   close-unlocks-before-drain      2    campaign  close() releases the lock before the write queue drained
//   node-fs-no-dsync                1    audit     node-fs.ts opens the log's dsync modes without O_DSYNC

import type { Mutant } from './mutant.ts';

const DATABASE = 'src/db/database.ts';

export const REACH_MUTANTS: readonly Mutant[] = [
  {
    name: 'close-unlocks-before-drain',
    bug: 'close() releases the lock first and drains the write queue after: an open while it drains takes over a log still being appended to',
    shipped:
      'shutdown that drops the file lock (or pid file) before flushing the queued writes: a restart overlaps the old writer',
    rules: [2],
    needs: 'campaign',
    edits: [
      {
        file: DATABASE,
        find: `    try {
      await this.pipeline?.close();
    } finally {
      await this.lock?.release();
    }`,
        replace: `    await this.lock?.release(); // the queue needs no lock to drain
    await this.pipeline?.close();`,
      },
    ],
  },
  {
    name: 'node-fs-no-dsync',
    bug: "node-fs.ts opens the 'write-dsync' and 'create-dsync' modes without O_DSYNC: the log's writes return from the page cache and are acked",
    shipped:
      'a platform layer that drops a durability flag (O_DSYNC, FILE_FLAG_WRITE_THROUGH, F_FULLFSYNC) the layer above asked for',
    rules: [2, 1],
    needs: 'audit',
    edits: [
      {
        file: 'src/fs/node-fs.ts',
        find: `  'write-dsync': constants.O_RDWR | constants.O_DSYNC,
  'create-dsync': constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC,`,
        replace: `  'write-dsync': constants.O_RDWR, // O_DSYNC dropped
  'create-dsync': constants.O_RDWR | constants.O_CREAT,`,
      },
    ],
  },
];
