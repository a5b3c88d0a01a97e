/** Migrations for the frequency cap (340–349). */
import type { Kysely, Migration } from 'kysely';

export const frequencyCapMigrations: Record<string, Migration> = {
  /**
   * The workspace's cap on marketing emails per contact (one row, absent while it is off), and the
   * delivery log by contact, outcome and time: a batch counts its contacts' sends in the window with one
   * range read per contact.
   */
  '340_frequency_cap': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('frequency_cap')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('max_emails', 'integer', (c) => c.notNull())
        .addColumn('period_hours', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('delivery_attempts_contact_time').on('delivery_attempts').columns(['contact_id', 'outcome', 'at']).execute();
    },
  },
};
