/** Migrations for flows triggered by a list (370–379). */
import type { Kysely, Migration } from 'kysely';

export const listTriggerMigrations: Record<string, Migration> = {
  /**
   * The outbox of journeys that contacts' joining a list is to start: the entry (an `event_entries` row,
   * as for API events, whose id is the journey's runId) and this row are written in the transaction that
   * adds the member; the row goes once the journey's workflow was started (or refused), so a crash
   * between the add and the start leaves it here for the worker to start.
   */
  '370_list_entry_starts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('list_entry_starts')
        .addColumn('entry_id', 'text', (c) => c.primaryKey())
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('list_entry_starts_time').on('list_entry_starts').column('entered_at').execute();
    },
  },
};
