import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (dir: string) => fileURLToPath(new URL(dir, import.meta.url));

export default defineConfig({
  // The web app's import aliases (tsconfig.json "paths"), for tests that load its modules.
  resolve: { alias: { '@/': here('./web/'), '@server/': here('./server/'), '@domain/': here('./domain/') } },
  test: {
    include: ['test/**/*.test.ts'],
    // Temporal workers use native threads: run test files in forked processes.
    pool: 'forks',
    // Two cores: Temporal servers, bundling and a browser do not gain from running files side by side.
    fileParallelism: false,
    // One throwaway PostgreSQL server for the run (the database tests run against SQLite and against it),
    // and the workflow bundle built once for every worker the tests start.
    globalSetup: ['test/postgres.ts', 'test/workflow-bundle-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
