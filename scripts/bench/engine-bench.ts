// `walcheck bench`: the write path against the disk's physical limit and against LevelDB,
// replay speed and memtable memory, and the cost of a writable open of a large log, all in
// one run on a temporary directory of the real filesystem.
//
// The machine is shared and noisy, so only ratios within one run mean anything, and the
// phases compared in a ratio alternate: each runs in `rounds` slices, the order reversed
// every round, so that drift in the machine's load falls on both sides alike.

import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { constants } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { Database } from '../../src/index.ts';
import { recordBytes } from '../../src/wal/record-encoder.ts';
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
  /** Size of the last segment for the large-open measure (default 64 MiB, the segment limit). */
  largeOpenBytes?: number;
  /** Slices each compared phase runs in, alternating (default 3). */
  rounds?: number;
  progress: (line: string) => void;
}

/** Writable against read-only open of a log whose last segment holds `segmentBytes`. */
export interface LargeOpen {
  segmentBytes: number;
  readOnlySeconds: number;
  writableSeconds: number;
}

export interface BenchResult {
  /** write + datasync loop, 130 bytes. */
  rawSyncsPerSec: number;
  /** O_DSYNC write loop, 130 bytes: the shape of the engine's log writes. */
  rawDsyncWritesPerSec: number;
  serialWritesPerSec: number;
  concurrentWritesPerSec: number;
  levelSerialWritesPerSec: number;
  levelConcurrentWritesPerSec: number;
  replayRecordsPerSec: number;
  replayMBPerSec: number;
  replaySeconds: number;
  replayLogBytes: number;
  memtableBytesPerRecord: number;
  largeOpen: LargeOpen;
  writers: number;
  replayRecords: number;
  phaseSeconds: number;
  /** Writes/s by writer count, engine and LevelDB, ascending writers. */
  sweep: { writers: number; engine: number; level: number }[];
}

const execFileAsync = promisify(execFile);
const VALUE_BYTES = 100;
const RAW_BYTES = 130;
const LARGE_OPEN_BYTES = 64 * 1024 * 1024;
/** Batches of the large log, each `LARGE_OPEN_BATCH` puts. */
const LARGE_OPEN_BATCH = 100;

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'walcheck-bench-'));
  const rounds = options.rounds ?? 3;
  const slice = options.phaseSeconds / rounds;
  let dirs = 0;
  const fresh = (label: string): string => join(root, `${label}-${dirs++}`);
  try {
    const value = seededBytes(1, VALUE_BYTES);
    options.progress(
      `1 writer: raw O_DSYNC write, raw write + datasync (${RAW_BYTES} B), engine, LevelDB sync: ` +
        `${rounds} alternating rounds of ${slice.toFixed(1)}s`,
    );
    const [rawDsync, raw, serial, levelSerial] = await alternate(rounds, [
      () => rawLoop(fresh('raw-dsync'), slice, true),
      () => rawLoop(fresh('raw'), slice, false),
      () => engineWrites(fresh('serial'), 1, slice, value),
      () => levelWrites(fresh('level-serial'), 1, slice, value),
    ]);
    options.progress(`${options.writers} writers: engine, LevelDB sync, alternating`);
    const [concurrent, levelConcurrent] = await alternate(rounds, [
      () => engineWrites(fresh('concurrent'), options.writers, slice, value),
      () => levelWrites(fresh('level-concurrent'), options.writers, slice, value),
    ]);
    const sweep = [
      { writers: 1, engine: serial.perSec, level: levelSerial.perSec },
      { writers: options.writers, engine: concurrent.perSec, level: levelConcurrent.perSec },
    ];
    for (const writers of options.sweepWriters ?? []) {
      if (sweep.some((point) => point.writers === writers)) continue;
      options.progress(`engine and LevelDB, ${writers} writers`);
      const [engine, level] = await alternate(rounds, [
        () => engineWrites(fresh('sweep'), writers, slice, value),
        () => levelWrites(fresh('sweep-level'), writers, slice, value),
      ]);
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
    rmSync(replayDir, { recursive: true, force: true });
    const largeOpen = await measureLargeOpen(
      join(root, 'large'),
      options.largeOpenBytes ?? LARGE_OPEN_BYTES,
      rounds,
      value,
      options.progress,
    );
    return {
      rawSyncsPerSec: raw.perSec,
      rawDsyncWritesPerSec: rawDsync.perSec,
      serialWritesPerSec: serial.perSec,
      concurrentWritesPerSec: concurrent.perSec,
      levelSerialWritesPerSec: levelSerial.perSec,
      levelConcurrentWritesPerSec: levelConcurrent.perSec,
      replayRecordsPerSec: options.replayRecords / replay.seconds,
      replayMBPerSec: replay.logBytes / 1e6 / replay.seconds,
      replaySeconds: replay.seconds,
      replayLogBytes: replay.logBytes,
      memtableBytesPerRecord: replay.memoryBytes / options.replayRecords,
      largeOpen,
      writers: options.writers,
      replayRecords: options.replayRecords,
      phaseSeconds: options.phaseSeconds,
      sweep,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Runs each phase `rounds` times, in order on even rounds and reversed on odd ones, and
 * sums each phase's slices into one throughput.
 */
async function alternate<T extends (() => Promise<Throughput>)[]>(
  rounds: number,
  phases: [...T],
): Promise<{ [K in keyof T]: Throughput }> {
  const totals = phases.map(() => ({ ops: 0, seconds: 0 }));
  for (let round = 0; round < rounds; round++) {
    const order = phases.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const slice = await phases[i]!();
      totals[i]!.ops += slice.ops;
      totals[i]!.seconds += slice.seconds;
    }
  }
  return totals.map((t) => ({ ...t, perSec: t.ops / t.seconds })) as { [K in keyof T]: Throughput };
}

/** The raw loop: an O_DSYNC write, or a write then a datasync, of RAW_BYTES at the end of a file. */
async function rawLoop(path: string, seconds: number, dsync: boolean): Promise<Throughput> {
  const flags = constants.O_RDWR | constants.O_CREAT | (dsync ? constants.O_DSYNC : 0);
  const handle = await open(path, flags, 0o644);
  const buffer = seededBytes(2, RAW_BYTES);
  let position = 0;
  try {
    return await measureLoops(1, seconds, async () => {
      await handle.write(buffer, 0, buffer.length, position);
      if (!dsync) await handle.datasync();
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
  segmentBytesMax?: number,
): Promise<void> {
  const db = await Database.open(dir, segmentBytesMax === undefined ? {} : { segmentBytesMax });
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

/**
 * Builds a log of one segment of about `segmentBytes` (the segment limit set to it, so it is
 * the last and only one), then opens it read-only and writable in fresh processes, alternating.
 */
async function measureLargeOpen(
  dir: string,
  segmentBytes: number,
  rounds: number,
  value: Buffer,
  progress: (line: string) => void,
): Promise<LargeOpen> {
  const batch = Array.from({ length: LARGE_OPEN_BATCH }, (_, i) => ({
    type: 'put' as const,
    key: benchKey(0, i),
    value,
  }));
  const batches = Math.floor(segmentBytes / recordBytes(batch));
  progress(`large open: writing a ${(segmentBytes / 2 ** 20).toFixed(0)} MiB segment`);
  await writeReplayLog(dir, batches * LARGE_OPEN_BATCH, LARGE_OPEN_BATCH, value, segmentBytes);
  const db = await Database.open(dir, { readOnly: true });
  const segments = db.recovery.segments;
  await db.close();
  if (segments.length !== 1)
    throw new Error(`large open: expected one segment, found ${segments.length}`);
  progress(`large open: read-only and writable opens, ${rounds} alternating rounds`);
  const seconds = { readOnly: 0, writable: 0 };
  for (let round = 0; round < rounds; round++) {
    const order: ('readOnly' | 'writable')[] =
      round % 2 === 0 ? ['readOnly', 'writable'] : ['writable', 'readOnly'];
    for (const mode of order) seconds[mode] += await openInChild(dir, mode);
  }
  return {
    segmentBytes: segments[0]!.bytes,
    readOnlySeconds: seconds.readOnly / rounds,
    writableSeconds: seconds.writable / rounds,
  };
}

async function openInChild(dir: string, mode: 'readOnly' | 'writable'): Promise<number> {
  const [node, ...script] = nodeScript('scripts/bench/open-child');
  const { stdout } = await execFileAsync(node!, [...script, dir, mode], {
    maxBuffer: 1 << 20,
  });
  return (JSON.parse(stdout) as { seconds: number }).seconds;
}
