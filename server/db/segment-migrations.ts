/** Segments (migration 150): saved contact filters. Kept apart from migrations.ts, which is near its 400 lines. */
import { sql, type Kysely, type Migration } from 'kysely';

export const segmentMigrations: Record<string, Migration> = {
  /** A segment is a name and a ContactFilter (domain/contact-filter.ts) as JSON; names are unique, case-insensitively. */
  '150_segments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('segments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await sql`CREATE UNIQUE INDEX segments_name ON segments (lower(name))`.execute(db);
    },
  },
};
