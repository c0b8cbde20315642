// The `load` loop of the engine protocol, shared by `walcheck load` and the power-loss engine
// (scripts/power-loss-engine.ts): batches from stdin, one JSON array a line, each submitted
// without waiting for the ones before it and acked on stdout in line order once durable.

import { createInterface } from 'node:readline';
import { validateBatch } from '../../src/db/batch-validation.ts';
import { Database } from '../../src/db/database.ts';
import { WalError } from '../../src/errors.ts';
import type { FileSystem } from '../../src/fs/types.ts';
import { LineError, parseBatchLine } from '../../faults/engine/protocol/batch-line.ts';
import { type Codec, CodecError } from '../../faults/engine/protocol/codec.ts';
import { CliFailure, EXIT_CORRUPT, EXIT_USAGE } from './command.ts';
import { OrderedAcks } from './ordered-acks.ts';
import { LineWriter } from './output.ts';

const MIB = 1024 * 1024;
/** Given to the open and checked before submitting, so an oversized line fails alone. */
const LOAD_BATCH_BYTES_MAX = 16 * MIB;
const IN_FLIGHT = { batchesMax: 4096, bytesMax: 64 * MIB };

/** Opens for writing (recovering as a writable open does); a refused log is exit 2. */
export async function openForLoad(dir: string, fs?: FileSystem): Promise<Database> {
  try {
    return await Database.open(dir, {
      batchBytesMax: LOAD_BATCH_BYTES_MAX,
      ...(fs === undefined ? {} : { fs }),
    });
  } catch (error) {
    if (error instanceof WalError && error.code === 'CORRUPT')
      throw new CliFailure(EXIT_CORRUPT, error.message);
    throw error;
  }
}

/**
 * Writes stdin's lines to db and closes it. A malformed line stops the reading: the lines
 * before it finish and are acked, then a CliFailure names it; so does a failed write.
 */
export async function loadLines(db: Database, codec: Codec): Promise<void> {
  const acks = new OrderedAcks(new LineWriter(), IN_FLIGHT);
  let badLine: CliFailure | null = null;
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    let lineNumber = 0;
    for await (const text of input) {
      lineNumber++;
      if (text.trim() === '') continue;
      let batch;
      let bytes;
      try {
        batch = parseBatchLine(text, codec);
        bytes = validateBatch(batch, LOAD_BATCH_BYTES_MAX);
      } catch (error) {
        badLine = lineFailure(lineNumber, error);
        break;
      }
      await acks.waitForRoom(bytes);
      if (acks.failure !== null) break;
      acks.add(db.write(batch), lineNumber, bytes);
    }
  } finally {
    input.close();
    await acks.allSettled();
    await db.close();
  }
  if (acks.failure !== null) {
    const { line, error } = acks.failure;
    throw new CliFailure(
      EXIT_USAGE,
      `line ${line}: the write failed: ${(error as Error).message ?? String(error)}`,
    );
  }
  if (badLine !== null) throw badLine;
}

function lineFailure(lineNumber: number, error: unknown): CliFailure {
  const known =
    error instanceof LineError || error instanceof CodecError || error instanceof WalError;
  if (!known) throw error;
  return new CliFailure(EXIT_USAGE, `line ${lineNumber}: ${error.message}`);
}
