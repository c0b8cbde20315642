// The bench's targets (issue 12 and the earlier ones): each a ratio of two measures taken in
// the same run, with its bound and whether it was met. Printed by bench and REPORT.md.

import type { BenchResult } from './engine-bench.ts';

/** One target: the measured ratio and whether it is met. */
export interface BenchTarget {
  target: string;
  ratio: number;
  /** Met when ratio >= bound ('>=') or ratio <= bound ('<='). */
  bound: number;
  direction: '>=' | '<=';
  met: boolean;
}

/** The targets of issue 12 and the earlier ones, each a ratio measured within this run. */
export function benchTargets(r: BenchResult): BenchTarget[] {
  const target = (
    name: string,
    ratio: number,
    direction: '>=' | '<=',
    bound: number,
  ): BenchTarget => ({
    target: `${name} ${direction} ${bound}x`,
    ratio,
    bound,
    direction,
    met: direction === '>=' ? ratio >= bound : ratio <= bound,
  });
  const mib = (r.largeOpen.segmentBytes / 2 ** 20).toFixed(0);
  return [
    // The 1-writer ratios are medians of paired turns (measure.ts: pairedRatio), steadier on
    // a shared machine than a ratio of totals, which the table prints beside them.
    target('engine 1 writer / LevelDB 1 writer', r.serialVsLevel.median, '>=', 1),
    target(
      `engine ${r.writers} writers / LevelDB ${r.writers} writers`,
      r.concurrentWritesPerSec / r.levelConcurrentWritesPerSec,
      '>=',
      8,
    ),
    target('engine 1 writer / raw O_DSYNC loop', r.serialVsRawDsync.median, '>=', 0.9),
    target(
      `writable open / read-only open, ${mib} MiB last segment`,
      r.largeOpen.writableSeconds / r.largeOpen.readOnlySeconds,
      '<=',
      2,
    ),
    target('replay / 1,000,000 records/s', r.replayRecordsPerSec / 1e6, '>=', 1),
    target('memtable bytes per record / 290', r.memtableBytesPerRecord / 290, '<=', 1),
  ];
}

/** Each target: met (true) or missed, by its name. */
export function targetVerdicts(r: BenchResult): Record<string, boolean> {
  return Object.fromEntries(benchTargets(r).map((t) => [t.target, t.met]));
}
