/** Migrations for a recipient's story (380–389). */
import type { Kysely, Migration } from 'kysely';

export const storyMigrations: Record<string, Migration> = {
  /**
   * What the campaign decided for a recipient at the steps that send nothing, as it moved them on: the
   * wait a Delay drew, when a Send window opened for them, the branch a Condition or A/B split chose.
   * Sends, webhook calls and skips are in the delivery log and webhook_calls already.
   */
  '380_recipient_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('recipient_events')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        // When the cohort moved it (ms), and when it goes on from here (ms).
        .addColumn('at', 'integer', (c) => c.notNull())
        .addColumn('due_at', 'integer', (c) => c.notNull())
        // A Delay: the wait drawn (ms). A Send window: when it opened for this recipient (ms).
        .addColumn('waited_ms', 'integer')
        .addColumn('window_opens_at', 'integer')
        // A branch: the step it went on to, and the rule (or the draw) that chose it.
        .addColumn('next_node_id', 'text')
        .addColumn('reason', 'text')
        .execute();
      await db.schema.createIndex('recipient_events_contact').on('recipient_events').columns(['run_id', 'contact_id', 'at']).execute();
    },
  },
};
