/** Migrations of the sending engine (server/sending/), numbers 160-169. */
import type { Kysely, Migration } from 'kysely';

export const sendingMigrations: Record<string, Migration> = {
  /** How long a profile's sends are retried on temporary failures before the recipient fails (server/sending/policy.ts). */
  '160_retry_for_hours': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('retry_for_hours', 'integer', (c) => c.notNull().defaultTo(72))
        .execute();
    },
  },
};
