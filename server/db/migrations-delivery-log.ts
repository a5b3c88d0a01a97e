/** Migrations for the delivery log at scale, reconciliation and resends (270–279), and the run's report (280–289). */
import type { Kysely, Migration } from 'kysely';

export const deliveryLogMigrations: Record<string, Migration> = {
  /**
   * The delivery log filtered by outcome, SMTP code (a failure class is a range of codes) or step, newest
   * first, pages by id: each filter is a range of one index, so a page at 1,000,000 rows reads a page.
   * Reconciliation finds each recipient's sends by contact.
   */
  '270_delivery_log_filters': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('delivery_attempts_outcome').on('delivery_attempts').columns(['run_id', 'outcome', 'id']).execute();
      await db.schema.createIndex('delivery_attempts_code').on('delivery_attempts').columns(['run_id', 'smtp_code', 'id']).execute();
      await db.schema.createIndex('delivery_attempts_step').on('delivery_attempts').columns(['run_id', 'node_id', 'id']).execute();
      await db.schema.createIndex('sends_contact').on('sends').columns(['run_id', 'contact_id', 'status']).execute();
    },
  },
  /** A run started for one set of an earlier run ("send to these"): the run it came from. */
  '271_run_source': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('source_run_id', 'text').execute();
      await db.schema.createIndex('runs_source').on('runs').column('source_run_id').execute();
    },
  },
  /**
   * The log searched by email: the matching contacts' attempts are read from this index alone (outcome and
   * id in it), 100,000 contacts a few index pages each; it covers every query of delivery_attempts_run (its prefix).
   */
  '280_delivery_log_by_contact': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('delivery_attempts_contact').on('delivery_attempts').columns(['run_id', 'contact_id', 'outcome', 'id']).execute();
      await db.schema.dropIndex('delivery_attempts_run').execute();
    },
  },
  /** The Delay or Send window a recipient waits in (the run page names it, not the step it goes on to). */
  '281_recipient_waiting_in': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('run_recipients').addColumn('waiting_in', 'text').execute();
    },
  },
};
