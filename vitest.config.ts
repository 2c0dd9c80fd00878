import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the C++ programs once, before any test runs (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Network, ns-3 and Slurm tests spawn real processes: run files one at a time per worker and
    // give them room; each test sets a tighter timeout of its own where it waits on a peer.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
