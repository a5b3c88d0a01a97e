/**
 * A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, started on a free port
 * of 127.0.0.1 with durability off (fsync, synchronous commit, full pages: a test's data never needs to
 * survive a crash), stopped and removed at the end. vitest's globalSetup (this file's default export)
 * starts one for the whole run and hands its URL to the test files (`inject('postgresUrl')`); each test
 * file makes databases of its own on it (`freshPostgresDatabase`).
 */
import type { TestProject } from 'vitest/node';
import { NOT_INSTALLED, type PostgresServer, postgresBin, startPostgres as startServer } from '../scripts/postgres-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's URL without a database (postgres://postgres@127.0.0.1:port), or '' with why it is missing after '#'. */
    postgresUrl: string;
  }
}

export { postgresBin };

/** A new test server: durability off (a test's data never needs to survive a crash), room for many connections. */
export const startPostgres = () => startServer({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 200 });

/** vitest globalSetup: one server for the run. Without PostgreSQL installed the URL says so, and tests that need it fail saying so. */
/** One server for the run, shared by every test project's setup (vitest runs each project's globalSetup, in turn, in one process). */
const shared = globalThis as typeof globalThis & { driplinePostgres?: { server: Promise<PostgresServer>; users: number } };

export default async function setup(project: TestProject) {
  if (!postgresBin()) {
    project.provide('postgresUrl', `#${NOT_INSTALLED}`);
    return;
  }
  shared.driplinePostgres ??= { server: startPostgres(), users: 0 };
  const run = shared.driplinePostgres;
  run.users++;
  const server = await run.server;
  project.provide('postgresUrl', server.url);
  return () => {
    if (--run.users === 0) server.stop();
  };
}
