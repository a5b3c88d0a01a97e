/**
 * The app database tests run on each database Dripline supports: SQLite (the embedded default) and
 * PostgreSQL (DATABASE_URL), the latter on the run's throwaway server (test/postgres.ts), a fresh
 * database each time.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { Dialect } from '../server/db';
import { tempInstall } from './helpers';

export const databases: readonly Dialect[] = ['sqlite', 'postgres'];

/** A new empty database on the test PostgreSQL server; its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  const server = inject('postgresUrl');
  if (server.startsWith('#')) throw new Error(server.slice(1));
  const name = `dripline_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return `${server}/${name}`;
}

/** The environment of an install on this database: none for SQLite (the data folder's file), a fresh PostgreSQL database's URL. */
export async function databaseEnv(dialect: Dialect): Promise<Record<string, string>> {
  return dialect === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase(), DATABASE_POOL_SIZE: '4' } : {};
}

/** tempInstall on this database: a fresh SQLite file, or a fresh PostgreSQL database. */
export async function tempInstallOn(dialect: Dialect, env: Record<string, string> = {}) {
  return tempInstall({ ...(await databaseEnv(dialect)), ...env });
}
