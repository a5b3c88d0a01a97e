/** Migrations for the send ledger's leases (480–489). */
import { type Kysely, type Migration, sql } from 'kysely';

export const leaseMigrations: Record<string, Migration> = {
  /**
   * The sends one batch attempt holds, found by their owner: every few seconds each attempt renews its
   * leases (server/db/deliveries.ts renewLeases). Through sends_run_status it read every send of the run in
   * flight, every attempt's, to keep its own: with three workers' batches at once, PostgreSQL spent most of
   * its time there. Only sends being sent are in this index, so it stays the size of what is in flight.
   */
  '480_sends_held': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('sends_held')
        .on('sends')
        .columns(['run_id', 'node_id', 'lease_owner'])
        .where(sql.ref('status'), '=', 'SENDING')
        .execute();
    },
  },
};
