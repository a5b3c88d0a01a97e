/** Migrations for the report of a run over time and per step (460–469). */
import type { Kysely, Migration } from 'kysely';

export const reportMigrations: Record<string, Migration> = {
  /**
   * The report's counts by minute, kept once a minute is settled (server/db/run-report.ts): what a run's
   * delivery attempts and its recipients' moves were, per step, each minute. A report then reads these few
   * rows and only the minutes since, never the whole log of a run of 1,000,000 again.
   * `what`: a delivery outcome, 'throttled' (a reply asking to slow down), or 'moved:<step it went on to>'.
   */
  '460_run_report_minutes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('run_report_minutes')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('minute', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('what', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_report_minutes_pk', ['run_id', 'minute', 'node_id', 'what'])
        .execute();
      // The moves since the last settled minute are read by time.
      await db.schema.createIndex('recipient_events_run_time').on('recipient_events').columns(['run_id', 'at']).execute();
    },
  },
};
