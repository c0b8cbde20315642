// `walcheck bench`: the write path against the disk's physical limit and against LevelDB,
// and replay speed and memtable memory, all in one run on a temporary directory of the
// real filesystem.

import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { Database } from '../../src/index.ts';
import { nodeScript } from '../../faults/runtime.ts';
import { benchKey, measureLoops, seededBytes, type Throughput } from './measure.ts';

export interface BenchOptions {
  /** Seconds each throughput phase runs. */
  phaseSeconds: number;
  /** Writers in the concurrent phases. */
  writers: number;
  /** Logical records in the replay log. */
  replayRecords: number;
  /** Puts per batch in the replay log. */
  replayBatch: number;
  /** Writer counts measured besides 1 and `writers`, engine and LevelDB, for the chart. */
  sweepWriters?: number[];
  progress: (line: string) => void;
}

export interface BenchResult {
  rawSyncsPerSec: number;
  serialWritesPerSec: number;
  concurrentWritesPerSec: number;
  levelSerialWritesPerSec: number;
  levelConcurrentWritesPerSec: number;
  replayRecordsPerSec: number;
  replayMBPerSec: number;
  replaySeconds: number;
  replayLogBytes: number;
  memtableBytesPerRecord: number;
  writers: number;
  replayRecords: number;
  phaseSeconds: number;
  /** Writes/s by writer count, engine and LevelDB, ascending writers. */
  sweep: { writers: number; engine: number; level: number }[];
}

const execFileAsync = promisify(execFile);
const VALUE_BYTES = 100;
const RAW_BYTES = 130;

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'walcheck-bench-'));
  try {
    const value = seededBytes(1, VALUE_BYTES);
    options.progress(`raw write + datasync of ${RAW_BYTES} bytes (${options.phaseSeconds}s)`);
    const raw = await rawSyncs(join(root, 'raw'), options.phaseSeconds);
    options.progress('engine, 1 writer');
    const serial = await engineWrites(join(root, 'serial'), 1, options.phaseSeconds, value);
    options.progress(`engine, ${options.writers} writers`);
    const concurrent = await engineWrites(
      join(root, 'concurrent'),
      options.writers,
      options.phaseSeconds,
      value,
    );
    options.progress('LevelDB (classic-level, sync: true), 1 writer');
    const levelSerial = await levelWrites(
      join(root, 'level-serial'),
      1,
      options.phaseSeconds,
      value,
    );
    options.progress(`LevelDB (classic-level, sync: true), ${options.writers} writers`);
    const levelConcurrent = await levelWrites(
      join(root, 'level-concurrent'),
      options.writers,
      options.phaseSeconds,
      value,
    );
    const sweep = [
      { writers: 1, engine: serial.perSec, level: levelSerial.perSec },
      { writers: options.writers, engine: concurrent.perSec, level: levelConcurrent.perSec },
    ];
    for (const writers of options.sweepWriters ?? []) {
      if (sweep.some((point) => point.writers === writers)) continue;
      options.progress(`engine and LevelDB, ${writers} writers`);
      const engine = await engineWrites(
        join(root, `sweep-${writers}`),
        writers,
        options.phaseSeconds,
        value,
      );
      const level = await levelWrites(
        join(root, `sweep-level-${writers}`),
        writers,
        options.phaseSeconds,
        value,
      );
      sweep.push({ writers, engine: engine.perSec, level: level.perSec });
    }
    sweep.sort((a, b) => a.writers - b.writers);
    options.progress(
      `replay: writing ${options.replayRecords} puts in batches of ${options.replayBatch}`,
    );
    const replayDir = join(root, 'replay');
    await writeReplayLog(replayDir, options.replayRecords, options.replayBatch, value);
    options.progress('replay: reopening');
    const replay = await measureReplay(replayDir, options.replayRecords);
    return {
      rawSyncsPerSec: raw.perSec,
      serialWritesPerSec: serial.perSec,
      concurrentWritesPerSec: concurrent.perSec,
      levelSerialWritesPerSec: levelSerial.perSec,
      levelConcurrentWritesPerSec: levelConcurrent.perSec,
      replayRecordsPerSec: options.replayRecords / replay.seconds,
      replayMBPerSec: replay.logBytes / 1e6 / replay.seconds,
      replaySeconds: replay.seconds,
      replayLogBytes: replay.logBytes,
      memtableBytesPerRecord: replay.memoryBytes / options.replayRecords,
      writers: options.writers,
      replayRecords: options.replayRecords,
      phaseSeconds: options.phaseSeconds,
      sweep,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function rawSyncs(path: string, seconds: number): Promise<Throughput> {
  const handle = await open(path, 'w+');
  const buffer = seededBytes(2, RAW_BYTES);
  let position = 0;
  try {
    return await measureLoops(1, seconds, async () => {
      await handle.write(buffer, 0, buffer.length, position);
      await handle.datasync();
      position += buffer.length;
    });
  } finally {
    await handle.close();
  }
}

async function engineWrites(
  dir: string,
  writers: number,
  seconds: number,
  value: Buffer,
): Promise<Throughput> {
  const db = await Database.open(dir);
  try {
    return await measureLoops(writers, seconds, (w, i) =>
      db.write([{ type: 'put', key: benchKey(w, i), value }]),
    );
  } finally {
    await db.close();
  }
}

async function levelWrites(
  dir: string,
  writers: number,
  seconds: number,
  value: Buffer,
): Promise<Throughput> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await db.open();
  try {
    return await measureLoops(writers, seconds, (w, i) =>
      db.put(benchKey(w, i), value, { sync: true }),
    );
  } finally {
    await db.close();
  }
}

/** Builds the replay log through the engine, many batches in flight so groups are large. */
async function writeReplayLog(
  dir: string,
  records: number,
  batchSize: number,
  value: Buffer,
): Promise<void> {
  const db = await Database.open(dir);
  const inFlightMax = 256;
  try {
    const batches = Math.ceil(records / batchSize);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let b = next++; b < batches; b = next++) {
        const ops = [];
        for (let i = b * batchSize; i < Math.min(records, (b + 1) * batchSize); i++) {
          ops.push({ type: 'put' as const, key: benchKey(0, i), value });
        }
        await db.write(ops);
      }
    };
    await Promise.all(Array.from({ length: inFlightMax }, worker));
  } finally {
    await db.close();
  }
}

async function measureReplay(
  dir: string,
  records: number,
): Promise<{ seconds: number; logBytes: number; memoryBytes: number }> {
  const [node, ...script] = nodeScript('scripts/bench/replay-child');
  const { stdout } = await execFileAsync(node!, ['--expose-gc', ...script, dir], {
    maxBuffer: 1 << 20,
  });
  const result = JSON.parse(stdout) as {
    seconds: number;
    logBytes: number;
    memoryBytes: number;
    lastSeq: number;
  };
  if (result.lastSeq !== records)
    throw new Error(`replay recovered lastSeq ${result.lastSeq}, expected ${records}`);
  return result;
}
