// walcheck load <dir> [--utf8]: batches from stdin, one JSON array a line, each acked on
// stdout once durable. The crash audits drive the engine through this command and kill
// it at random, so: lines are pipelined (group commit spans lines), an ack is printed
// only after its write resolved, acks come in line order, and they are flushed at once.

import { codecFor } from '../../faults/engine/protocol/codec.ts';
import { defineCommand, EXIT_OK } from '../cli/command.ts';
import { loadLines, openForLoad } from '../cli/load-loop.ts';
import { requireCreatableDirectory } from '../cli/paths.ts';
import { setAsideNotes } from '../cli/set-aside-notes.ts';

export const command = defineCommand(
  {
    name: 'load',
    description: `
Opens the database directory <dir> for writing (creating it if needed, in a parent that
must exist, recovering as a
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
    positionals: [
      {
        name: 'dir',
        description: 'a database directory (created if missing; its parent must exist)',
      },
    ],
    options: {
      utf8: { type: 'boolean', description: 'read keys and values as UTF-8 text instead of hex' },
    },
  },
  async (args) => {
    const codec = codecFor(args.flag('utf8'));
    const dir = args.positional('dir')!;
    await requireCreatableDirectory(dir);
    const db = await openForLoad(dir);
    for (const line of await setAsideNotes('load', dir, db.recovery))
      process.stderr.write(`${line}\n`);
    await loadLines(db, codec);
    return EXIT_OK;
  },
);
