/**
 * Contact imports (migration 070): an uploaded CSV file becomes an `imports` row; the durable job records
 * its position (`rows_done`) and counts in the same transaction as each chunk of contacts, so a restarted
 * worker resumes exactly there. Kept apart from migrations.ts, which is near its 400 lines.
 */
import type { Kysely, Migration } from 'kysely';

export const importMigrations: Record<string, Migration> = {
  '070_contact_imports': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('imports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('file_path', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('columns', 'text', (c) => c.notNull())
        .addColumn('mapping', 'text')
        .addColumn('list_id', 'text')
        .addColumn('total_rows', 'integer', (c) => c.notNull())
        .addColumn('rows_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('imports_owner').on('imports').columns(['owner_id', 'created_at']).execute();
      // Each bad row once, by its line: re-processing a chunk after a crash cannot report it twice.
      await db.schema
        .createTable('import_problems')
        .addColumn('import_id', 'text', (c) => c.notNull().references('imports.id').onDelete('cascade'))
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('import_problems_pk', ['import_id', 'line'])
        .execute();
      // The emails an import has taken so far (lower case) and the line that took each: later lines with the same email are duplicates.
      await db.schema
        .createTable('import_emails')
        .addColumn('import_id', 'text', (c) => c.notNull().references('imports.id').onDelete('cascade'))
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('import_emails_pk', ['import_id', 'email_key'])
        .execute();
    },
  },
};
