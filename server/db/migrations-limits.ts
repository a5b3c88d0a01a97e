/** Migrations for sign-in and events API limits (210–219), and the rate limits every web instance shares (230–234). */
import type { Kysely, Migration } from 'kysely';

export const limitMigrations: Record<string, Migration> = {
  /**
   * Failed sign-ins per email and client IP (was per email alone, which let anyone lock any account).
   * The counts are short-lived: the old table is dropped rather than carried over.
   */
  '210_sign_in_failures_per_client': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropTable('sign_in_failures').execute();
      await db.schema
        .createTable('sign_in_failures')
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_failed_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('sign_in_failures_pk', ['email', 'client'])
        .execute();
    },
  },
  /**
   * Each event request by API key and idempotency key: the hash of its body, and its answer once given,
   * so the same key again replays the answer and a different body under it is refused.
   */
  '211_event_requests': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('event_requests')
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('body_hash', 'text', (c) => c.notNull())
        .addColumn('answer', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_requests_pk', ['api_key_id', 'idempotency_key'])
        .execute();
    },
  },
  /**
   * Rate limits by key (what is limited and for whom), shared by every web instance (server/db/rate-limits.ts):
   * a window's count and start, or a bucket's tokens; touched_at is the last take.
   */
  '230_rate_limits': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rate_limits')
        .addColumn('limit_key', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('tokens', 'real', (c) => c.notNull())
        .addColumn('touched_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rate_limits_touched').on('rate_limits').column('touched_at').execute();
    },
  },
};
