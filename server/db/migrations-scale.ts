/** Migrations 250-254: indexes for the pages' queries at 1,000,000 rows (bench/queries.ts measures them). */
import type { Kysely, Migration } from 'kysely';

export const scaleMigrations: Record<string, Migration> = {
  '250_delivery_attempts_run_outcome': {
    async up(db: Kysely<unknown>) {
      // The run page's recent rate (sent in the last half minute): a range of this index, not every attempt of the run.
      await db.schema.createIndex('delivery_attempts_run_outcome').on('delivery_attempts').columns(['run_id', 'outcome', 'at']).execute();
    },
  },
};
