/** Migrations for opens and clicks (450–459). */
import type { Kysely, Migration } from 'kysely';

export const trackingMigrations: Record<string, Migration> = {
  /**
   * A flow's owner switches "Track opens and clicks" on (off by default: nothing is rewritten or stored
   * until they do), and each open (the pixel fetched) and click (a tracked link followed) is recorded:
   * the run, the Send step, the contact, which link and its address, when (ms), the user agent, and
   * whether it looks like a machine's (a privacy proxy, a prefetch, a link scanner) rather than a person's.
   */
  '450_tracking': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('flows')
        .addColumn('track_engagement', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('tracking_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        // Clicks: the link's place in the message (0, 1, …) and its address; an open: -1 and ''.
        .addColumn('link_index', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('machine', 'integer', (c) => c.notNull())
        .execute();
      // The report's counts (per run, step, kind) and a Condition's reads (run, contact).
      await db.schema.createIndex('tracking_events_run').on('tracking_events').columns(['run_id', 'node_id', 'kind']).execute();
      await db.schema.createIndex('tracking_events_contact').on('tracking_events').columns(['run_id', 'contact_id']).execute();
    },
  },
};
