/** Migrations for the Webhook step (300–309). */
import type { Kysely, Migration } from 'kysely';

export const webhookMigrations: Record<string, Migration> = {
  /**
   * Each call a journey's Webhook step made for a contact: one row per attempt (Temporal's attempt
   * number), with the answer's status (null when none came: a timeout, a refused or failed connection).
   */
  '300_webhook_calls': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_calls')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_calls_pk', ['run_id', 'node_id', 'contact_id', 'attempt'])
        .execute();
      await db.schema.createIndex('webhook_calls_contact').on('webhook_calls').columns(['contact_id', 'at']).execute();
    },
  },
};
