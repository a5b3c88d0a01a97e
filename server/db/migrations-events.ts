/** Migrations for API keys and contacts entering flows by API events (kept apart: migrations.ts is near its size limit). */
import type { Kysely, Migration } from 'kysely';

export const eventMigrations: Record<string, Migration> = {
  /**
   * API keys for `POST /api/v1/events`: only the SHA-256 of each key is kept (the key is shown once).
   * Event entries: one row per journey an event started (its id is the journey's runId), so re-entry
   * policies and idempotency keys can be answered from the database.
   */
  '060_api_keys_and_event_entries': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('event_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_entries_key').on('event_entries').columns(['flow_id', 'contact_id', 'idempotency_key']).unique().execute();
    },
  },
  /** The event log (Settings → API keys → Event log) lists event requests newest first, a page at a time. */
  '320_event_requests_by_time': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('event_requests_created').on('event_requests').column('created_at').execute();
    },
  },
};
