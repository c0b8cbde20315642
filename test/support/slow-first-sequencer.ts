// The order in which vitest starts test files: the slow ones first, so that with one file per
// core the last minute is not one long file running alone. vitest orders by the durations of
// the previous run, but a fresh checkout (CI after `npm ci`) has none and falls back to file
// size, which puts some of the slowest files (small files that spawn many processes) last.

import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files, slowest first (each run alone with `npx vitest run --coverage <file>`,
 * November 2026). A file missing here only starts later; a stale order costs seconds.
 */
export const SLOW_FIRST: readonly string[] = [
  'test/mutants.test.ts',
  'test/audit-cli.test.ts',
  'test/campaign.test.ts',
  'test/ci-commands.test.ts',
  'test/cli.test.ts',
  'test/package.test.ts',
  'test/real.test.ts',
  'test/explore.test.ts',
  'test/audit-engines.test.ts',
  'test/liveness.test.ts',
  'test/sim-fs.test.ts',
  'test/memtable.test.ts',
  'test/scenario-draw.test.ts',
  'test/applog-engine.test.ts',
  'test/engine-model.property.test.ts',
  'test/campaign-blind-spots.test.ts',
  'test/audit-record.test.ts',
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
