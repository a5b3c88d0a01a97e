/** Migrations for pools of profiles (410–419). */
import type { Kysely, Migration } from 'kysely';

export const poolMigrations: Record<string, Migration> = {
  /**
   * The profile that made each delivery attempt: a Send step with a pool sends through several, and the
   * log and a recipient's story say which one. Null for rows written before, and for skips (no profile).
   */
  '410_delivery_attempt_profile': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('delivery_attempts').addColumn('profile_id', 'text').execute();
    },
  },
};
