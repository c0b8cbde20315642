// `walcheck bench`'s verdicts: each target is a ratio measured in the same run, printed as
// `target | ratio | met/missed`, with the bound's direction respected.

import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../scripts/bench/engine-bench.ts';
import { interleaveSerial, pairedRatio } from '../scripts/bench/measure.ts';
import { benchTargets, targetVerdicts } from '../scripts/bench/targets.ts';
import { benchTable, targetsTable } from '../scripts/cli/tables.ts';

const result: BenchResult = {
  rawBytes: 149,
  rawSyncsPerSec: 1000,
  rawDsyncWritesPerSec: 1200,
  serialWritesPerSec: 1100,
  serialVsLevel: { median: 1.1, q1: 1.05, q3: 1.15 },
  serialVsRawDsync: { median: 0.92, q1: 0.9, q3: 0.95 },
  concurrentWritesPerSec: 70_000,
  levelSerialWritesPerSec: 1000,
  levelConcurrentWritesPerSec: 10_000,
  replayRecordsPerSec: 900_000,
  replayMBPerSec: 110,
  replaySeconds: 1.1,
  replayLogBytes: 121_000_000,
  memtableBytesPerRecord: 180,
  largeOpen: { segmentBytes: 64 * 2 ** 20, readOnlySeconds: 1, writableSeconds: 2.5 },
  writers: 64,
  replayRecords: 1_000_000,
  phaseSeconds: 3,
  sweep: [],
};

describe('bench targets', () => {
  it('computes each ratio and says met or missed by its bound', () => {
    const byName = Object.fromEntries(benchTargets(result).map((t) => [t.target, t]));
    expect(byName['engine 1 writer / LevelDB 1 writer >= 1x']).toMatchObject({
      ratio: 1.1,
      met: true,
    });
    expect(byName['engine 64 writers / LevelDB 64 writers >= 8x']).toMatchObject({
      ratio: 7,
      met: false,
    });
    expect(byName['engine 1 writer / raw O_DSYNC loop >= 0.9x']!.met).toBe(true);
    expect(byName['writable open / read-only open, 64 MiB last segment <= 2x']).toMatchObject({
      ratio: 2.5,
      met: false,
    });
    expect(byName['replay / 1,000,000 records/s >= 1x']!.met).toBe(false);
    expect(byName['memtable bytes per record / 290 <= 1x']!.met).toBe(true);
  });

  it('prints target | ratio | met/missed, and the measures with the raw O_DSYNC loop', () => {
    const table = targetsTable(benchTargets(result));
    expect(table[0]).toBe('| target | ratio | met/missed |');
    expect(table).toContain('| engine 64 writers / LevelDB 64 writers >= 8x | 7.00x | missed |');
    expect(table).toContain('| engine 1 writer / LevelDB 1 writer >= 1x | 1.10x | met |');
    const measures = benchTable(result).join('\n');
    expect(measures).toContain(
      '| raw O_DSYNC write (149 B) | 1,200 writes/s | 1.20x raw write + datasync |',
    );
    expect(measures).toContain(
      '| engine, 1 writer | 1,100 writes/s | 1.10x (turns 1.05-1.15) LevelDB (totals 1.10x), 0.92x (turns 0.90-0.95) raw O_DSYNC (totals 0.92x) |',
    );
    expect(measures).toContain('writable 2.50 s, read-only 1.00 s | 2.50x');
  });
  it('bench prints a verdict per target: met or missed', () => {
    const mixed: BenchResult = {
      ...result,
      rawDsyncWritesPerSec: 1000,
      serialWritesPerSec: 950,
      serialVsLevel: { median: 1.9, q1: 1.8, q3: 2 },
      serialVsRawDsync: { median: 0.95, q1: 0.9, q3: 1 },
      concurrentWritesPerSec: 10_000,
      levelSerialWritesPerSec: 500,
      levelConcurrentWritesPerSec: 4000,
      replayRecordsPerSec: 2_000_000,
      replayMBPerSec: 200,
      replaySeconds: 0.5,
      replayLogBytes: 1,
      memtableBytesPerRecord: 300,
      largeOpen: { segmentBytes: 64 * 2 ** 20, readOnlySeconds: 1, writableSeconds: 1.5 },
      phaseSeconds: 1,
    };
    const table = targetsTable(benchTargets(mixed)).join('\n');
    expect(table).toContain('| engine 1 writer / raw O_DSYNC loop >= 0.9x | 0.95x | met |');
    expect(table).toContain('| engine 64 writers / LevelDB 64 writers >= 8x | 2.50x | missed |');
    expect(table).toContain('| memtable bytes per record / 290 <= 1x | 1.03x | missed |');
    expect(targetVerdicts(mixed)).toEqual({
      'engine 1 writer / LevelDB 1 writer >= 1x': true,
      'engine 64 writers / LevelDB 64 writers >= 8x': false,
      'engine 1 writer / raw O_DSYNC loop >= 0.9x': true,
      'writable open / read-only open, 64 MiB last segment <= 2x': true,
      'replay / 1,000,000 records/s >= 1x': true,
      'memtable bytes per record / 290 <= 1x': false,
    });
  });
});

describe('interleaveSerial', () => {
  it('warms each loop up untimed, then runs them in turns of blockOps, reversed every cycle', async () => {
    const calls: string[] = [];
    const loop =
      (name: string) =>
      async (i: number): Promise<void> => {
        calls.push(`${name}${i}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      };
    const run = await interleaveSerial([loop('a'), loop('b')], {
      seconds: 0.005,
      blockOps: 2,
      warmupOps: 1,
    });
    expect(calls.slice(0, 2)).toEqual(['a0', 'b0']); // warm-up, untimed
    expect(calls.slice(2, 10)).toEqual(['a1', 'a2', 'b1', 'b2', 'b3', 'b4', 'a3', 'a4']);
    const cycles = (calls.length - 2) / 4;
    expect(Number.isInteger(cycles)).toBe(true); // whole cycles only: every loop the same turns
    expect(run.turnMs.length).toBe(cycles);
    expect(run.phases.map((p) => p.ops)).toEqual([cycles * 2, cycles * 2]); // warm-up not counted
    for (const p of run.phases) expect(p.seconds).toBeGreaterThanOrEqual(0.005);
  });

  it('pairedRatio: the median and quartiles of turn-by-turn throughput ratios', () => {
    // Phase 0 took 10 ms a turn; phase 1 took 20, 20, 20 and one 400 ms stall.
    const run = {
      phases: [],
      turnMs: [
        [10, 20],
        [10, 400],
        [10, 20],
        [10, 20],
        [10, 10],
      ],
    };
    expect(pairedRatio(run, 0, 1)).toEqual({ median: 2, q1: 2, q3: 2 }); // the stall does not move it
    expect(pairedRatio(run, 1, 0).median).toBe(0.5);
  });
});
