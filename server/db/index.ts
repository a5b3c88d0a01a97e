/**
 * The app database: SQLite (better-sqlite3) by default, or PostgreSQL (`pg`) when given a postgres:// URL,
 * through Kysely; and the sandbox SMTP server's own SQLite database, its mailbox.
 * Every query lives in a module of this folder, one per area; nothing else writes SQL. Queries are written
 * once for both where they can; the few that must differ ask `dialectOf(db)`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import {
  CamelCasePlugin,
  type Dialect as KyselyDialect,
  Kysely,
  type Migration,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase,
  sql,
} from 'kysely';
import pg from 'pg';
import { migrations, sandboxMigrations } from './migrations';
import { PortableSchemaPlugin } from './portable-schema';
import type { SandboxTables, Tables } from './tables';

export type Db = Kysely<Tables>;
/** The sandbox SMTP server's database: its mailbox only, apart from the app database and its write lock. */
export type SandboxDb = Kysely<SandboxTables>;
export type * from './tables';

/**
 * Opens the app database and brings it to the latest migration: a postgres:// (or postgresql://) URL is a
 * PostgreSQL database, reached through a pool of `poolSize` connections; anything else is a SQLite file,
 * created if needed.
 */
export function openDatabase(urlOrFile: string, { poolSize = 10 }: { poolSize?: number } = {}): Promise<Db> {
  if (!isPostgresUrl(urlOrFile)) return open<Tables>(urlOrFile, migrations);
  return migrated<Tables>(postgresDialect(urlOrFile, poolSize), migrations).catch((err: unknown) => {
    throw new Error(`DATABASE_URL: could not open the PostgreSQL database at ${withoutPassword(urlOrFile)}: ${(err as Error).message}`, {
      cause: err,
    });
  });
}

/** The URL to show in an error: its password left out. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

export type Dialect = 'sqlite' | 'postgres';
export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//.test(s);
/** Which database a Kysely instance speaks, for the few queries written differently for each. */
export const dialectOf = (db: Pick<Kysely<unknown>, 'getExecutor'>): Dialect =>
  db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';

/**
 * PostgreSQL returns bigint (int8: counts, ids, times in ms) and numeric (sums) as strings, since they
 * may not fit a JS number; every such value here is well inside 2^53 (times are ms or µs since the epoch).
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function postgresDialect(url: string, poolSize: number): KyselyDialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes }) });
}

/** Opens (creating if needed) the sandbox's database (data/sandbox.db) and brings it to its latest migration. */
export function openSandboxDatabase(file: string): Promise<SandboxDb> {
  return open<SandboxTables>(file, sandboxMigrations);
}

function open<T>(file: string, list: Record<string, Migration>): Promise<Kysely<T>> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // With WAL, NORMAL commits survive a crash of any process (not a power cut) and cost no fsync each.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return migrated<T>(new SqliteDialect({ database: keepingStatements(sqlite) }), list);
}

async function migrated<T>(dialect: KyselyDialect, list: Record<string, Migration>): Promise<Kysely<T>> {
  const db = new Kysely<T>({ dialect, plugins: [new CamelCasePlugin()] });
  // Migrations are written for SQLite's types; on PostgreSQL the plugin maps them (portable-schema.ts).
  const schemaDb = dialectOf(db) === 'postgres' ? db.withoutPlugins().withPlugin(new PortableSchemaPlugin()) : db.withoutPlugins();
  const migrator = new Migrator({ db: schemaDb, provider: { getMigrations: async () => list } });
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

/** The larger (greatest) or smaller (least) of values, none NULL: SQLite's scalar max() and min(), PostgreSQL's greatest() and least(). */
export const greatest = (db: Pick<Db, 'getExecutor'>, ...values: unknown[]) =>
  sql<number>`${sql.raw(dialectOf(db) === 'postgres' ? 'greatest' : 'max')}(${sql.join(values)})`;
export const least = (db: Pick<Db, 'getExecutor'>, ...values: unknown[]) =>
  sql<number>`${sql.raw(dialectOf(db) === 'postgres' ? 'least' : 'min')}(${sql.join(values)})`;
/**
 * A parameter with its type said, where nothing around it says it (PostgreSQL cannot tell the type of
 * `$1 IS NULL` or of a CASE of parameters; SQLite takes the same CAST).
 */
export const bigint = (value: number | null) => sql<number>`CAST(${value} AS bigint)`;
export const double = (value: number | null) => sql<number>`CAST(${value} AS double precision)`;
/**
 * A SELECT whose rows the transaction then writes from: on PostgreSQL they are locked until commit
 * (FOR UPDATE), so transactions at once take turns; SQLite has one writer at a time already (and no FOR UPDATE).
 */
export const lockingOnPostgres = <Q extends { forUpdate(): Q }>(db: Pick<Db, 'getExecutor'>, query: Q): Q =>
  dialectOf(db) === 'postgres' ? query.forUpdate() : query;
/** A unique index refused a row (SQLite's code, or PostgreSQL's unique_violation). */
export const isUniqueViolation = (err: unknown): boolean =>
  err instanceof Error && 'code' in err && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === '23505');
/** SQLite keeps booleans as 0/1: the query modules convert at the edge, nowhere else. */
export const bit = (b: boolean) => (b ? 1 : 0);
