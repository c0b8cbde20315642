// walcheck scan <dir> [--recovery MODE] [--at SEQ] [--utf8]: recover read-only, print the
// live entries in key order.

import { SEQ_MAX } from '../../src/batch.ts';
import { Database } from '../../src/db/database.ts';
import { RECOVERY_MODES, type RecoveryMode } from '../../src/db/options.ts';
import { WalError } from '../../src/errors.ts';
import { codecFor } from '../../faults/engine/protocol/codec.ts';
import { CliFailure, defineCommand, EXIT_CORRUPT, EXIT_OK } from '../cli/command.ts';
import { LineWriter } from '../cli/output.ts';
import { requireDirectory } from '../cli/paths.ts';
import { setAsideNotes } from '../cli/set-aside-notes.ts';

export const command = defineCommand(
  {
    name: 'scan',
    description: `
Recovers the database directory <dir> read-only (nothing on disk changes: no lock, no
quarantine) and prints its live entries in key order, one JSON object a line:
  {"key": "<hex>", "value": "<hex>"}

If recovery under the mode refuses the log (strict: any invalid record; tolerate-tail:
corruption before the last segment; point-in-time never refuses), nothing is printed,
the reason goes to stderr and the exit status is 2. When a writable open would set aside
more than the torn tail of one record (e.g. a segment of random bytes), stderr says so with
a warning: the entries stop there. One record's torn tail, what a crash leaves, is not said.

Exit status: 0 printed, 2 recovery refused, 3 usage or I/O error.`,
    positionals: [{ name: 'dir', description: 'a database directory' }],
    options: {
      recovery: {
        type: 'string',
        valueName: 'MODE',
        description: 'what recovery does at the first invalid record',
        choices: RECOVERY_MODES,
        default: 'tolerate-tail',
      },
      at: {
        type: 'string',
        valueName: 'SEQ',
        description:
          'read at this snapshot: the state after the last batch ending at or before SEQ',
        integer: { min: 0, max: SEQ_MAX },
      },
      utf8: {
        type: 'boolean',
        description: 'print keys and values as UTF-8 text instead of lowercase hex',
      },
    },
  },
  async (args) => {
    const dir = args.positional('dir')!;
    const recovery = args.choice('recovery', RECOVERY_MODES)!; // has a default
    const at = args.integer('at');
    const codec = codecFor(args.flag('utf8'));
    await requireDirectory(dir);
    const db = await openOrRefuse(dir, recovery);
    for (const line of await setAsideNotes('scan', dir, db.recovery, { quietTail: true }))
      process.stderr.write(`${line}\n`);
    const out = new LineWriter();
    try {
      for (const entry of db.scan(at === undefined ? {} : { at })) {
        const hex = entry.key.toString('hex');
        out.json({
          key: codec.encode(entry.key, `the key ${hex} (hex)`),
          value: codec.encode(entry.value, `the value of key ${hex} (hex)`),
        });
        if (out.full) await out.drained();
      }
    } finally {
      out.flush();
      await db.close();
    }
    return EXIT_OK;
  },
);

async function openOrRefuse(dir: string, recovery: RecoveryMode): Promise<Database> {
  try {
    return await Database.open(dir, { readOnly: true, recovery });
  } catch (error) {
    if (error instanceof WalError && error.code === 'CORRUPT')
      throw new CliFailure(EXIT_CORRUPT, error.message);
    throw error;
  }
}
