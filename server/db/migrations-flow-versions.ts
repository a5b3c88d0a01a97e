/** Migrations for published versions and the flows list (kept apart: migrations.ts is near its size limit). */
import type { Kysely, Migration } from 'kysely';

export const flowVersionMigrations: Record<string, Migration> = {
  /**
   * Who published each version and the note they gave it (both null for versions from before); when a
   * flow was archived (null: in the flows list) or deleted (kept, hidden, only while its runs need it).
   */
  '140_flow_version_notes_and_archive': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('flow_versions').addColumn('note', 'text').execute();
      await db.schema.alterTable('flow_versions').addColumn('published_by', 'text').execute();
      await db.schema.alterTable('flows').addColumn('archived_at', 'text').execute();
      await db.schema.alterTable('flows').addColumn('deleted_at', 'text').execute();
    },
  },
};
