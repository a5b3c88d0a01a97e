/** Opening PostgreSQL by DATABASE_URL: a fresh database reaches the latest migration with the tables and columns SQLite gets; a bad URL or an unreachable server says so. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../server/config';
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

  it('says which setting to fix when the server cannot be reached, without the password', async () => {
    const refused = await openDatabase('postgres://dripline:s3cret-pw@127.0.0.1:1/dripline').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(
      /^DATABASE_URL: could not open the PostgreSQL database at postgres:\/\/dripline:\*\*\*@127\.0\.0\.1:1\/dripline: /,
    );
    expect((refused as Error).message).not.toContain('s3cret-pw');
  });

  it('refuses a DATABASE_URL that is not a postgres:// URL, naming it', () => {
    expect(() => readConfig({ DATABASE_URL: 'mysql://db/dripline' })).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' }).database).toBe('/tmp/unused/dripline.db');
    expect(readConfig({ DATABASE_URL: 'postgresql://db/dripline' }).database).toBe('postgresql://db/dripline');
  });
});
