/** Migrations on PostgreSQL: a fresh database reaches the latest migration with the tables and columns SQLite gets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf, openDatabase, type Db } from '../server/db';
import { ensureThrottleRow } from '../server/db/throttle';
import { freshPostgresDatabase } from './databases';
import { tempInstall } from './helpers';

let sqlite: Db;
let postgres: Db;
beforeAll(async () => {
  ({ db: sqlite } = await tempInstall());
  postgres = await openDatabase(await freshPostgresDatabase());
});
afterAll(async () => {
  await sqlite?.destroy();
  await postgres?.destroy();
});

/** Every table with its columns, as "table.column", sorted (Kysely's own migration tables left out). */
async function columns(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables
    .filter((t) => !t.name.startsWith('kysely_'))
    .flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`))
    .sort();
}

describe('PostgreSQL schema', () => {
  it('opens a postgres:// URL as PostgreSQL and a file as SQLite', () => {
    expect(dialectOf(postgres)).toBe('postgres');
    expect(dialectOf(sqlite)).toBe('sqlite');
  });

  it('has every table and column of the SQLite schema after the same migrations', async () => {
    const expected = await columns(sqlite);
    expect(expected).toContain('smtp_throttle.tat_us');
    expect(await columns(postgres)).toEqual(expected);
  });

  it('keeps times in ms and µs (bigint) and reads them back as numbers', async () => {
    const tatUs = Date.parse('2026-12-06T22:00:00Z') * 1000;
    await ensureThrottleRow(postgres, 'p');
    await postgres.updateTable('smtpThrottle').set({ tatUs, dayCount: 1 }).where('profileId', '=', 'p').execute();
    const row = await postgres.selectFrom('smtpThrottle').select(['tatUs', 'dayCount']).where('profileId', '=', 'p').executeTakeFirstOrThrow();
    expect(row).toEqual({ tatUs, dayCount: 1 });
    const { n } = await postgres
      .selectFrom('smtpThrottle')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(1);
  });
});
