/** Migrations for limits shaped like providers' and the warm-up schedule (400–409). */
import type { Kysely, Migration } from 'kysely';

export const sendLimitMigrations: Record<string, Migration> = {
  /**
   * A profile's limits per minute and per hour, whether its daily cap counts per calendar day in its time
   * zone or over the last 24 hours, and its warm-up ramp (off while warmup_start is ''): domain/send-limits.ts.
   * `smtp_send_log`: each reserved send's slot, for the sliding windows (server/db/send-limits.ts); a profile
   * keeps only its last 24 hours.
   */
  '400_send_limits': {
    async up(db: Kysely<unknown>) {
      const profiles = () => db.schema.alterTable('smtp_profiles');
      await profiles().addColumn('per_minute', 'integer').execute();
      await profiles().addColumn('per_hour', 'integer').execute();
      await profiles()
        .addColumn('daily_cap_window', 'text', (c) => c.notNull().defaultTo('calendar'))
        .execute();
      await profiles()
        .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .execute();
      await profiles()
        .addColumn('warmup_start', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await profiles()
        .addColumn('warmup_first', 'integer', (c) => c.notNull().defaultTo(50))
        .execute();
      await profiles()
        .addColumn('warmup_factor', 'real', (c) => c.notNull().defaultTo(2))
        .execute();
      await profiles()
        .addColumn('warmup_target', 'integer', (c) => c.notNull().defaultTo(10_000))
        .execute();
      await profiles()
        .addColumn('warmup_days', 'text', (c) => c.notNull().defaultTo('12345'))
        .execute();
      await db.schema
        .createTable('smtp_send_log')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('slot_us', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('smtp_send_log_profile_slot').on('smtp_send_log').columns(['profile_id', 'slot_us']).execute();
    },
  },
};
