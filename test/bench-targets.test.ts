// `walcheck bench`'s verdicts: each target is a ratio measured in the same run, printed as
// `target | ratio | met/missed`, with the bound's direction respected.

import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../scripts/bench/engine-bench.ts';
import { benchTargets } from '../scripts/bench/targets.ts';
import { benchTable, targetsTable } from '../scripts/cli/tables.ts';

const result: BenchResult = {
  rawSyncsPerSec: 1000,
  rawDsyncWritesPerSec: 1200,
  serialWritesPerSec: 1100,
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
      '| raw O_DSYNC write (130 B) | 1,200 writes/s | 1.20x raw write + datasync |',
    );
    expect(measures).toContain('writable 2.50 s, read-only 1.00 s | 2.50x');
  });
});
