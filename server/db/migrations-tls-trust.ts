/** Migrations for trusting an internal SMTP server's certificate (170–179). */
import type { Kysely, Migration } from 'kysely';

export const tlsTrustMigrations: Record<string, Migration> = {
  /** A profile's TLS trust, set by an admin: a CA certificate (PEM) or the pinned SHA-256 fingerprint of the server's certificate. */
  '170_smtp_tls_trust': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('tls_ca', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('tls_pin', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  },
};
