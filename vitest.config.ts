import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that share the test host (zfs-fuse pool, simulator state) run one file at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
