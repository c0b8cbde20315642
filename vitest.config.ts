import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-filesystem and child-process tests are slower on a 2-core machine than the default 5 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
