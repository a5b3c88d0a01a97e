/** Migrations for scheduled and spread starts (290–299). */
import type { Kysely, Migration } from 'kysely';

export const scheduleMigrations: Record<string, Migration> = {
  /** A run that starts later (its campaign waits in Temporal until start_at), or whose first send is spread over spread_hours. */
  '290_run_schedule': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('start_at', 'text').execute();
      await db.schema.alterTable('runs').addColumn('spread_hours', 'integer').execute();
    },
  },
};
