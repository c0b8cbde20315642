import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-filesystem and child-process tests are slower on a 2-core machine than the default 5 s,
    // and two files share the cores (a guard against hangs, not a speed claim).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file per core. vitest's default for `run` is one less than the cores, which on a
    // 2-core machine runs the files one after the other while the vitest process mostly waits.
    maxWorkers: availableParallelism(),
    // The slowest files first, so that no long file runs alone at the end.
    sequence: { sequencer: SlowFirstSequencer },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'model/**/*.ts', 'faults/**/*.ts'],
      // The bug zoo runs patched copies under .tmp/; the campaign worker runs in worker threads.
      exclude: ['.tmp/**', 'faults/mutants/**', 'faults/campaign/campaign-worker.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // Just under what the suite reaches, so that lost coverage fails CI but noise does not.
      thresholds: {
        'src/**': { lines: 99, statements: 98, branches: 97, functions: 95 },
        'model/**': { lines: 97, statements: 95, branches: 89, functions: 95 },
        'faults/**': { lines: 96, statements: 94, branches: 86, functions: 95 },
      },
    },
  },
});
