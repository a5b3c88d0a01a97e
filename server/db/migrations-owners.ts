/** Migrations for owners of segments and lists, and the sandbox's limits (220–229). */
import type { Kysely, Migration } from 'kysely';

/** The columns these migrations touch, as they are when they run (snake_case: the migrator has no camelCase plugin). */
interface Before {
  segments: { created_by: string; owner_id: string | null };
  smtp_profiles: { id: string; rate_per_second: number | null; daily_cap: number | null };
}

export const ownerMigrations: Record<string, Migration> = {
  /**
   * Segments and lists belong to who made them, like flows. A segment's owner is who created it; lists
   * recorded no creator, so theirs stay null until setup gives them to the first admin (adoptOwnerless).
   */
  '220_segment_and_list_owners': {
    async up(unknownDb: Kysely<unknown>) {
      const db = unknownDb as Kysely<Before>;
      await db.schema.alterTable('segments').addColumn('owner_id', 'text').execute();
      await db.schema.alterTable('lists').addColumn('owner_id', 'text').execute();
      await db
        .updateTable('segments')
        .set((eb) => ({ owner_id: eb.ref('created_by') }))
        .execute();
      await db.schema.createIndex('segments_owner').on('segments').column('owner_id').execute();
      await db.schema.createIndex('lists_owner').on('lists').column('owner_id').execute();
    },
  },
  /** The built-in Sandbox profile gets a pace and a daily cap (editable like any profile's), unless an admin already set one. */
  '221_sandbox_profile_pace': {
    async up(unknownDb: Kysely<unknown>) {
      const db = unknownDb as Kysely<Before>;
      await db
        .updateTable('smtp_profiles')
        .set({ rate_per_second: SANDBOX_RATE_PER_SECOND })
        .where('id', '=', 'sandbox')
        .where('rate_per_second', 'is', null)
        .execute();
      await db
        .updateTable('smtp_profiles')
        .set({ daily_cap: SANDBOX_DAILY_CAP })
        .where('id', '=', 'sandbox')
        .where('daily_cap', 'is', null)
        .execute();
    },
  },
};

/** The Sandbox profile's default pace and daily cap (seed.ts and migration 221). */
export const SANDBOX_RATE_PER_SECOND = 50;
export const SANDBOX_DAILY_CAP = 10_000;

/** The sandbox database's: pruning by age walks this index (sandbox-prune in db/sandbox.ts). */
export const sandboxOwnerMigrations: Record<string, Migration> = {
  '220_sandbox_received_at': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('sandbox_messages_received_at').on('sandbox_messages').column('received_at').execute();
    },
  },
};
