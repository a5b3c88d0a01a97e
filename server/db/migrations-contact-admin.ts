/** Migrations for unsubscribe mailboxes, suppression review and deleting contacts and users (110–119; migrations.ts is near its size limit). */
import { sql, type Kysely, type Migration } from 'kysely';

export const contactAdminMigrations: Record<string, Migration> = {
  /** An SMTP profile's optional unsubscribe mailbox: a `mailto:` beside the HTTPS link in List-Unsubscribe. */
  '110_smtp_unsubscribe_mailbox': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('unsubscribe_mailbox', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  },
  /** The suppressions page: contacts not subscribed, latest change first, without walking every contact. */
  '111_contacts_unmailable': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE INDEX contacts_unmailable ON contacts (status_at DESC, id DESC) WHERE status <> 'subscribed'`.execute(db);
    },
  },
};
