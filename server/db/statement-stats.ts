/**
 * PostgreSQL's statistics of the statements it ran (the pg_stat_statements extension, loaded with
 * shared_preload_libraries): where the database's time goes. The bench profiles campaigns with it.
 */
import { sql } from 'kysely';
import type { Db } from '.';

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
  rows: number;
}

/** Starts counting afresh (creating the extension in this database when it is missing). */
export async function resetStatementStats(db: Db): Promise<void> {
  await sql`create extension if not exists pg_stat_statements`.execute(db);
  await sql`select pg_stat_statements_reset()`.execute(db);
}

export async function statementStats(db: Db): Promise<StatementStat[]> {
  const { rows } = await sql<{ query: string; calls: string; totalExecTime: number; rows: string }>`
    select query, calls, total_exec_time, rows from pg_stat_statements`.execute(db);
  return rows.map((r) => ({ query: r.query, calls: Number(r.calls), totalMs: Number(r.totalExecTime), rows: Number(r.rows) }));
}
