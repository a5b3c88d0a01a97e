import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Temporal workers use native threads: run test files in forked processes.
    pool: 'forks',
    // Two cores: Temporal servers, bundling and a browser do not gain from running files side by side.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
