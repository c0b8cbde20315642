// `walcheck bench`: the write path against the disk's physical limit and against LevelDB,
// replay speed and memtable memory, and the cost of a writable open of a large log, all in
// one run on a temporary directory of the real filesystem.
//
// The machine is shared and noisy, so only ratios within one run mean anything, and the
// phases compared in a ratio alternate so that drift in the machine's load falls on both
// sides alike. The single-writer loops (the raw loops, the engine, LevelDB) each open once
// and run in turn in blocks of a few milliseconds (interleaveSerial); the concurrent ones,
// which need their writers drained between turns, run in `rounds` slices of fresh
// databases, the order reversed every round (an even count, so a steady drift cancels).

import { fdatasync, mkdtempSync, rmSync, write as writeWithCallback } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { constants } from 'node:fs';
// classic-level is a dev dependency: imported when LevelDB is opened, so that the modules
// importing this one (the report) load in an install without it and can say what they need.
import type { ClassicLevel } from 'classic-level';
import { Database } from '../../src/index.ts';
import { recordBytes } from '../../src/wal/record-encoder.ts';
import { nodeScript } from '../../faults/base/runtime.ts';
import {
  benchKey,
  interleaveSerial,
  measureLoops,
  pairedRatio,
  seededBytes,
  type PairedRatio,
  type SerialOp,
  type Throughput,
} from './measure.ts';

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
  /** Slices each compared concurrent phase runs in, alternating (default 4: even). */
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
  /** Bytes each raw loop writes: the engine's record of one bench put. */
  rawBytes: number;
  /** write + datasync loop of rawBytes. */
  rawSyncsPerSec: number;
  /** O_DSYNC write loop of rawBytes: the shape of the engine's log writes. */
  rawDsyncWritesPerSec: number;
  serialWritesPerSec: number;
  /** Engine 1 writer / LevelDB 1 writer, turn by turn (the 1-writer target's ratio). */
  serialVsLevel: PairedRatio;
  /** Engine 1 writer / raw O_DSYNC loop, turn by turn. */
  serialVsRawDsync: PairedRatio;
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
/** Ops per turn of a single-writer loop: milliseconds at a device's sync rate. */
const SERIAL_BLOCK_OPS = 16;
/** Untimed ops of each single-writer loop before the measure. */
const SERIAL_WARMUP_OPS = 200;
const LARGE_OPEN_BYTES = 64 * 1024 * 1024;
/** Batches of the large log, each `LARGE_OPEN_BATCH` puts. */
const LARGE_OPEN_BATCH = 100;

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'walcheck-bench-'));
  const rounds = options.rounds ?? 4;
  const slice = options.phaseSeconds / rounds;
  let dirs = 0;
  const fresh = (label: string): string => join(root, `${label}-${dirs++}`);
  try {
    const value = seededBytes(1, VALUE_BYTES);
    const rawBytes = recordBytes([{ type: 'put', key: benchKey(0, 0), value }]);
    options.progress(
      `1 writer: raw O_DSYNC write, raw write + datasync (${rawBytes} B), engine, LevelDB sync: ` +
        `interleaved in turns of ${SERIAL_BLOCK_OPS} writes, ${options.phaseSeconds}s each`,
    );
    const single = await measureSerial(fresh, options.phaseSeconds, rawBytes, value);
    const { rawDsync, raw, engine: serial, level: levelSerial } = single.phases;
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
      rawBytes,
      rawSyncsPerSec: raw.perSec,
      rawDsyncWritesPerSec: rawDsync.perSec,
      serialWritesPerSec: serial.perSec,
      serialVsLevel: single.vsLevel,
      serialVsRawDsync: single.vsRawDsync,
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

interface SerialMeasures {
  phases: { rawDsync: Throughput; raw: Throughput; engine: Throughput; level: Throughput };
  vsLevel: PairedRatio;
  vsRawDsync: PairedRatio;
}

/**
 * The single-writer phases, each opened once on a fresh file or directory and interleaved:
 * the raw O_DSYNC loop, the raw write + datasync loop, the engine, LevelDB.
 */
async function measureSerial(
  fresh: (label: string) => string,
  seconds: number,
  rawBytes: number,
  value: Buffer,
): Promise<SerialMeasures> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const ops: SerialOp[] = [];
    for (const dsync of [true, false]) {
      const raw = await rawLoop(fresh(dsync ? 'raw-dsync' : 'raw'), rawBytes, dsync);
      closers.push(raw.close);
      ops.push(raw.op);
    }
    const db = await Database.open(fresh('serial'));
    closers.push(() => db.close());
    ops.push((i) => db.write([{ type: 'put', key: benchKey(0, i), value }]));
    const levelDb = await openLevel(fresh('level-serial'));
    closers.push(() => levelDb.close());
    ops.push((i) => levelDb.put(benchKey(0, i), value, { sync: true }));
    const run = await interleaveSerial(ops, {
      seconds,
      blockOps: SERIAL_BLOCK_OPS,
      warmupOps: SERIAL_WARMUP_OPS,
    });
    const [rawDsync, raw, engine, level] = run.phases as [
      Throughput,
      Throughput,
      Throughput,
      Throughput,
    ];
    return {
      phases: { rawDsync, raw, engine, level },
      vsLevel: pairedRatio(run, 2, 3),
      vsRawDsync: pairedRatio(run, 2, 0),
    };
  } finally {
    for (const close of closers) await close();
  }
}

/**
 * The raw loop: `bytes` appended to a fresh file by an O_DSYNC write, or by a write then a
 * datasync, through fs.write's callback as the engine's log writes go (src/fs/node-fs.ts):
 * the bare syscalls as cheaply as node issues them.
 */
async function rawLoop(
  path: string,
  bytes: number,
  dsync: boolean,
): Promise<{ op: SerialOp; close: () => Promise<void> }> {
  const flags = constants.O_RDWR | constants.O_CREAT | (dsync ? constants.O_DSYNC : 0);
  const handle = await open(path, flags, 0o644);
  const fd = handle.fd;
  const buffer = seededBytes(2, bytes);
  let position = 0;
  const write = (): Promise<void> =>
    new Promise((resolve, reject) =>
      writeWithCallback(fd, buffer, 0, buffer.length, position, (error, written) => {
        if (error !== null) reject(error);
        else if (written !== buffer.length) reject(new Error(`short write: ${written} bytes`));
        else resolve();
      }),
    );
  const sync = (): Promise<void> =>
    new Promise((resolve, reject) =>
      fdatasync(fd, (error) => (error === null ? resolve() : reject(error))),
    );
  const op = async (): Promise<void> => {
    await write();
    if (!dsync) await sync();
    position += buffer.length;
  };
  return { op, close: () => handle.close() };
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
  const db = await openLevel(dir);
  try {
    return await measureLoops(writers, seconds, (w, i) =>
      db.put(benchKey(w, i), value, { sync: true }),
    );
  } finally {
    await db.close();
  }
}

async function openLevel(dir: string): Promise<ClassicLevel<Buffer, Buffer>> {
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel<Buffer, Buffer>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await db.open();
  return db;
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
