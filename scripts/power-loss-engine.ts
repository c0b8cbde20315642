// The power-loss engine: our engine on faults/disk/power-loss-fs.ts, speaking the engine protocol
// of `walcheck real` (faults/engine/protocol/engine-command.ts starts it):
//
//   power-loss-engine [--tear-seed N] load <dir>
//   power-loss-engine scan <dir>
//
// `load` is `walcheck load` (the same loop, scripts/cli/load-loop.ts) on a Database whose
// filesystem keeps unsynced data in this process, so a SIGKILL loses what a power cut would.
// With --tear-seed, a datasync sometimes writes its data through in two synced steps, a
// seeded prefix first, so a kill during the first step leaves a torn tail. `scan` is
// `walcheck scan` (the disk already holds only what survived). Kept apart from src/ and from
// the walcheck command registry so the engine itself has no test switch.

import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { PowerLossFileSystem } from '../faults/disk/power-loss-fs.ts';
import { hexCodec } from '../faults/engine/protocol/codec.ts';
import { CliFailure, EXIT_OK, EXIT_USAGE } from './cli/command.ts';
import { loadLines, openForLoad } from './cli/load-loop.ts';

/** Chance that a datasync goes in two steps, with --tear-seed. */
const TEAR_PROBABILITY = 0.5;
const USAGE = 'usage: power-loss-engine [--tear-seed N] load <dir> | power-loss-engine scan <dir>';

async function main(argv: readonly string[]): Promise<number> {
  let args = [...argv];
  let tearSeed: number | null = null;
  if (args[0] === '--tear-seed') {
    tearSeed = Number(args[1]);
    if (!Number.isSafeInteger(tearSeed))
      throw new CliFailure(EXIT_USAGE, `--tear-seed needs an integer, got ${args[1]}\n${USAGE}`);
    args = args.slice(2);
  }
  const [verb, dir, ...extra] = args;
  if (dir === undefined || extra.length > 0) throw new CliFailure(EXIT_USAGE, USAGE);
  if (verb === 'scan') return (await import('./commands/scan.ts')).command.run([dir]);
  if (verb !== 'load') throw new CliFailure(EXIT_USAGE, USAGE);
  const tear = tearSeed === null ? {} : { tear: { seed: tearSeed, probability: TEAR_PROBABILITY } };
  const fs = new PowerLossFileSystem(new NodeFileSystem(), tear);
  await loadLines(await openForLoad(dir, fs), hexCodec);
  return EXIT_OK;
}

let status: number;
try {
  status = await main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof CliFailure;
  process.stderr.write(
    `power-loss-engine: ${known ? error.message : ((error as Error)?.stack ?? String(error))}\n`,
  );
  status = known ? error.exitCode : EXIT_USAGE;
}
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(status);
