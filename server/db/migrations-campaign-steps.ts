/** Migrations for Wait until and Webhook steps in campaigns (440–449). */
import { type Kysely, type Migration, sql } from 'kysely';

export const campaignStepMigrations: Record<string, Migration> = {
  /**
   * A campaign recipient waiting at a Wait until: when its longest wait ends (null while it waits at no
   * Wait until), and when the event it waits for came (null until then). The partial index finds a
   * contact's waits when an API event arrives for them.
   */
  '440_recipient_waits': {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite adds one at a time.
      await db.schema.alterTable('run_recipients').addColumn('wait_deadline', 'integer').execute();
      await db.schema.alterTable('run_recipients').addColumn('wait_met_at', 'integer').execute();
      await db.schema
        .createIndex('run_recipients_waiting')
        .on('run_recipients')
        .columns(['contact_id'])
        .where(sql.ref('wait_deadline'), 'is not', null)
        .execute();
    },
  },
};
