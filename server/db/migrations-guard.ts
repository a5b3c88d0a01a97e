/** Migrations for the reputation guard (390–399). */
import type { Kysely, Migration } from 'kysely';

export const guardMigrations: Record<string, Migration> = {
  /**
   * Each profile's guard thresholds (the defaults are explained in server/sending/guard.ts), why it is
   * paused ('guard' for the guard: only "Resume sending" lifts it, saving the profile does not), and who
   * resumed it last and when. `smtp_guard_tallies`: one row per committed group of a batch's attempts
   * with what the guard counts in it; the guard reads a profile's newest rows, so they are indexed so.
   */
  '390_reputation_guard': {
    async up(db: Kysely<unknown>) {
      const columns: [string, number][] = [
        ['guard_window', 200],
        ['guard_bounce_percent', 10],
        ['guard_block_percent', 2],
        ['guard_throttle_percent', 50],
      ];
      for (const [name, value] of columns) {
        await db.schema
          .alterTable('smtp_profiles')
          .addColumn(name, 'integer', (c) => c.notNull().defaultTo(value))
          .execute();
      }
      await db.schema.alterTable('smtp_profiles').addColumn('failing_cause', 'text').execute();
      await db.schema.alterTable('smtp_profiles').addColumn('resumed_by', 'text').execute();
      await db.schema.alterTable('smtp_profiles').addColumn('resumed_at', 'text').execute();
      await db.schema
        .createTable('smtp_guard_tallies')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('bounces', 'integer', (c) => c.notNull())
        .addColumn('blocks', 'integer', (c) => c.notNull())
        .addColumn('throttles', 'integer', (c) => c.notNull())
        .addColumn('replies', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('smtp_guard_tallies_profile').on('smtp_guard_tallies').columns(['profile_id', 'id']).execute();
    },
  },
};
