// Our engine under power-loss emulation, speaking the engine protocol of `walcheck real`:
//
//   node --import tsx scripts/engine-child.ts [--tear-seed N] load <dir>
//   node --import tsx scripts/engine-child.ts scan <dir>
//
// `load` is `walcheck load` (same input lines, same in-order acks printed once durable)
// on a Database whose filesystem is faults/power-loss-fs.ts: unsynced data stays in this
// process, so a SIGKILL loses what a power cut would. With --tear-seed, writes also write
// through seeded prefixes of unsynced data (torn tails). `scan` is `walcheck scan` (the
// disk already holds only what survived). Kept apart from src/ and from the walcheck
// command registry so the engine itself has no test switch.

import { createInterface } from 'node:readline';
import { validateBatch } from '../src/db/batch-validation.ts';
import { Database } from '../src/db/database.ts';
import { WalError } from '../src/errors.ts';
import { NodeFileSystem } from '../src/fs/node-fs.ts';
import { PowerLossFileSystem, type PowerLossOptions } from '../faults/power-loss-fs.ts';
import { parseBatchLine } from '../faults/protocol/batch-line.ts';
import { hexCodec } from '../faults/protocol/codec.ts';
import { CliFailure, EXIT_CORRUPT, EXIT_OK, EXIT_USAGE } from './cli/command.ts';
import { OrderedAcks } from './cli/ordered-acks.ts';
import { LineWriter } from './cli/output.ts';

const MIB = 1024 * 1024;
const BATCH_BYTES_MAX = 16 * MIB;
const IN_FLIGHT = { batchesMax: 4096, bytesMax: 64 * MIB };
/** Chance that a write also writes through part of the unsynced data, with --tear-seed. */
const TEAR_PROBABILITY = 0.5;
const USAGE = 'usage: engine-child.ts [--tear-seed N] load <dir> | engine-child.ts scan <dir>';

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
  return load(
    dir,
    tearSeed === null ? {} : { tear: { seed: tearSeed, probability: TEAR_PROBABILITY } },
  );
}

async function load(dir: string, options: PowerLossOptions): Promise<number> {
  const db = await openOrRefuse(dir, new PowerLossFileSystem(new NodeFileSystem(), options));
  const acks = new OrderedAcks(new LineWriter(), IN_FLIGHT);
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of input) {
      lineNumber++;
      if (text.trim() === '') continue;
      const batch = parseBatchLine(text, hexCodec);
      const bytes = validateBatch(batch, BATCH_BYTES_MAX);
      await acks.waitForRoom(bytes);
      if (acks.failure !== null) break;
      acks.add(db.write(batch), lineNumber, bytes);
    }
  } catch (error) {
    throw new CliFailure(EXIT_USAGE, `line ${lineNumber}: ${(error as Error).message}`);
  } finally {
    input.close();
    await acks.allSettled();
    await db.close();
  }
  if (acks.failure !== null)
    throw new CliFailure(
      EXIT_USAGE,
      `line ${acks.failure.line}: the write failed: ${String(acks.failure.error)}`,
    );
  return EXIT_OK;
}

async function openOrRefuse(dir: string, fs: PowerLossFileSystem): Promise<Database> {
  try {
    return await Database.open(dir, { fs, batchBytesMax: BATCH_BYTES_MAX });
  } catch (error) {
    if (error instanceof WalError && error.code === 'CORRUPT')
      throw new CliFailure(EXIT_CORRUPT, error.message);
    throw error;
  }
}

let status: number;
try {
  status = await main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof CliFailure;
  process.stderr.write(
    `engine-child: ${known ? error.message : ((error as Error)?.stack ?? String(error))}\n`,
  );
  status = known ? error.exitCode : EXIT_USAGE;
}
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(status);
