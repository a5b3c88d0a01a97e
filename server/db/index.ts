/**
 * The app database: SQLite (better-sqlite3) by default, through Kysely, which also speaks PostgreSQL;
 * and the sandbox SMTP server's own SQLite database, its mailbox.
 * Every query lives in a module of this folder, one per area; nothing else writes SQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, type Migration, Migrator, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import { migrations, sandboxMigrations } from './migrations';
import type { SandboxTables, Tables } from './tables';

export type Db = Kysely<Tables>;
/** The sandbox SMTP server's database: its mailbox only, apart from the app database and its write lock. */
export type SandboxDb = Kysely<SandboxTables>;
export type * from './tables';

/** Opens (creating if needed) the app database and brings it to the latest migration. */
export function openDatabase(file: string): Promise<Db> {
  return open<Tables>(file, migrations);
}

/** Opens (creating if needed) the sandbox's database (data/sandbox.db) and brings it to its latest migration. */
export function openSandboxDatabase(file: string): Promise<SandboxDb> {
  return open<SandboxTables>(file, sandboxMigrations);
}

async function open<T>(file: string, list: Record<string, Migration>): Promise<Kysely<T>> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // With WAL, NORMAL commits survive a crash of any process (not a power cut) and cost no fsync each.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<T>({ dialect: new SqliteDialect({ database: keepingStatements(sqlite) }), plugins: [new CamelCasePlugin()] });
  const migrator = new Migrator({ db: db.withoutPlugins(), provider: { getMigrations: async () => list } });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return db;
}

/**
 * better-sqlite3 compiles a statement on every prepare, and Kysely prepares on every query; the send
 * path runs the same few statements thousands of times a second, so compiled statements are kept,
 * the most recently used STATEMENTS_KEPT of them. Kysely runs one query at a time per connection,
 * so a kept statement is never in use twice at once.
 */
const STATEMENTS_KEPT = 500;
function keepingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = kept.get(text);
      if (statement) kept.delete(text);
      else statement = sqlite.prepare(text);
      kept.set(text, statement);
      if (kept.size > STATEMENTS_KEPT) kept.delete(kept.keys().next().value as string);
      return statement;
    },
  };
}

export const now = () => new Date().toISOString();
export const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
export { sql };
/** SQLite keeps booleans as 0/1: the query modules convert at the edge, nowhere else. */
export const bit = (b: boolean) => (b ? 1 : 0);
