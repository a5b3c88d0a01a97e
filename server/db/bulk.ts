/**
 * Rows in bulk, for the bench's queries at 1,000,000 rows (bench/queries.ts): multi-row inserts in one
 * transaction, as many rows a statement as the parameter limits allow (SQLite 32,766, PostgreSQL 65,535).
 */
import type { Insertable } from 'kysely';
import { type Db, dialectOf, sql, type Tables } from '.';

const PARAMETERS = 30_000;

/** Inserts the rows (all with the same columns) into the table, in one transaction. */
export async function insertInBulk<T extends keyof Tables & string>(db: Db, table: T, rows: Insertable<Tables[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.max(1, Math.floor(PARAMETERS / Object.keys(rows[0]!).length));
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      // The table is generic here (Kysely cannot check values against it); each caller's rows are typed by it.
      await trx
        .insertInto(table)
        .values(rows.slice(i, i + perStatement) as never)
        .execute();
    }
  });
}

/**
 * After a bulk load, what PostgreSQL's autovacuum does on its own a little later (statistics for the
 * planner, the visibility map for index-only scans), done now so the queries measured meet the tables as
 * they will be. SQLite keeps no statistics unless asked (the product never runs ANALYZE): nothing to do.
 */
export async function settleAfterBulk(db: Db): Promise<void> {
  if (dialectOf(db) === 'postgres') await sql`VACUUM ANALYZE`.execute(db);
}
