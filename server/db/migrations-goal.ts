/** Migrations for a flow's goal and the Wait until step (360–369). */
import type { Kysely, Migration } from 'kysely';

export const goalMigrations: Record<string, Migration> = {
  /** Journeys that reached their flow's goal: one row per journey (its runId), with the step the contact was in. */
  '360_journey_conversions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('journey_conversions')
        .addColumn('run_id', 'text', (c) => c.notNull().primaryKey())
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('converted_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('journey_conversions_flow').on('journey_conversions').columns(['flow_id', 'version', 'node_id']).execute();
    },
  },
  /** An API event reaches the contact's running journeys (goal, Wait until): their newest entries, across flows. */
  '361_event_entries_contact': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('event_entries_contact').on('event_entries').columns(['contact_id', 'entered_at']).execute();
    },
  },
};
