/**
 * Schema changes, in order: `migrations` for the app database, `sandboxMigrations` for the sandbox's.
 * Names are the physical snake_case ones: the migrator runs them as written.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { featureMigrations } from './migrations-features';
import { sandboxOwnerMigrations } from './migrations-owners';

/** The sandbox's mailbox: once in the app database (migration 001), now in its own (sandboxMigrations). */
async function createSandboxMessages(db: Kysely<unknown>) {
  await db.schema
    .createTable('sandbox_messages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('envelope_from', 'text', (c) => c.notNull())
    .addColumn('envelope_to', 'text', (c) => c.notNull())
    .addColumn('from_header', 'text', (c) => c.notNull())
    .addColumn('to_header', 'text', (c) => c.notNull())
    .addColumn('reply_to', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .execute();
}

export const migrations: Record<string, Migration> = {
  ...featureMigrations,
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('flows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('graph', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('flow_versions')
        .addColumn('flow_id', 'text', (c) => c.notNull().references('flows.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('graph', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('published_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('flow_versions_pk', ['flow_id', 'version'])
        .execute();
      await db.schema
        .createTable('contacts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('smtp_profiles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('secure', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('require_tls', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('username', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_enc', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('from_email', 'text', (c) => c.notNull())
        .addColumn('from_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('reply_to', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('rate_per_second', 'real')
        .addColumn('max_connections', 'integer', (c) => c.notNull().defaultTo(5))
        .addColumn('daily_cap', 'integer')
        .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner_id', 'text')
        .addColumn('shared_with_all', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('smtp_profile_agents')
        .addColumn('profile_id', 'text', (c) => c.notNull().references('smtp_profiles.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('smtp_profile_agents_pk', ['profile_id', 'user_id'])
        .execute();
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('started_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addForeignKeyConstraint('runs_version_fk', ['flow_id', 'version'], 'flow_versions', ['flow_id', 'version'])
        .execute();
      await db.schema
        .createTable('run_contacts')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
        .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_contacts_pk', ['run_id', 'contact_id'])
        .execute();
      await db.schema
        .createTable('sends')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sends_pk', ['run_id', 'node_id', 'contact_id'])
        .execute();
      await db.schema
        .createTable('delivery_attempts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('smtp_code', 'integer')
        .addColumn('smtp_reply', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('delivery_attempts_run').on('delivery_attempts').columns(['run_id', 'contact_id']).execute();
      // The sandbox's mailbox until it got a database of its own (sandboxMigrations); no longer read.
      await createSandboxMessages(db);
    },
  },
  '002_throttle': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('smtp_throttle')
        .addColumn('profile_id', 'text', (c) => c.primaryKey())
        .addColumn('tat_us', 'integer', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('day_count', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  /**
   * Campaigns run as one workflow per run over a cohort: each recipient keeps its place in the plan
   * (node and due time) here, not in a workflow of its own. Runs gain a status, an idempotency key and
   * their audience. run_contacts becomes run_recipients (its workflow_id was unique per contact).
   */
  '003_campaigns': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('runs')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('completed'))
        .execute();
      await db.schema.alterTable('runs').addColumn('idempotency_key', 'text').execute();
      await db.schema
        .alterTable('runs')
        .addColumn('audience', 'text', (c) => c.notNull().defaultTo('{"kind":"contacts"}'))
        .execute();
      await db.schema.alterTable('runs').addColumn('workflow_id', 'text').execute();
      await db.schema.alterTable('runs').addColumn('plan', 'text').execute();
      await db.schema.alterTable('runs').addColumn('finished_at', 'text').execute();
      await db.schema.createIndex('runs_idempotency_key').on('runs').column('idempotency_key').unique().execute();
      await db.schema
        .createTable('run_recipients')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
        .addColumn('contact_id', 'text', (c) => c.notNull())
        /** The plan step the recipient is at; null once it has left the flow. */
        .addColumn('node_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        /** When the recipient's current step is due, in ms since the epoch. */
        .addColumn('due_at', 'integer', (c) => c.notNull().defaultTo(0))
        /** The workflow whose history holds this recipient's sends: the campaign's, or its own retry workflow's. */
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('claim', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_recipients_pk', ['run_id', 'contact_id'])
        .execute();
      await db.schema.createIndex('run_recipients_due').on('run_recipients').columns(['run_id', 'status', 'node_id', 'due_at']).execute();
      await db.schema.createIndex('run_recipients_claim').on('run_recipients').columns(['run_id', 'claim']).execute();
      // Runs from before: per-contact journeys. Those still running keep reporting through status 'journey'.
      await sql`INSERT INTO run_recipients (run_id, contact_id, node_id, status, due_at, workflow_id, updated_at)
        SELECT run_id, contact_id, NULL, CASE status WHEN 'sent' THEN 'completed' WHEN 'failed' THEN 'failed' ELSE 'journey' END, 0, workflow_id, updated_at
        FROM run_contacts`.execute(db);
      await sql`UPDATE runs SET status = 'running' WHERE id IN (SELECT run_id FROM run_recipients WHERE status = 'journey')`.execute(db);
      await db.schema.dropTable('run_contacts').execute();
      await db.schema.createIndex('sends_run_status').on('sends').columns(['run_id', 'status']).execute();
      await db.schema.createIndex('delivery_attempts_run_id').on('delivery_attempts').columns(['run_id', 'id']).execute();
    },
  },
  /**
   * Adaptive sending: each profile's effective rate (and connections) learned from the server's
   * answers, accepted messages per second (to learn from), the last slow-down; send leases for
   * exactly-once; profiles that fail to log in pause their sending; profiles are soft-deleted.
   */
  '004_adaptive': {
    async up(db: Kysely<unknown>) {
      const throttle = [
        ['slot_us', 'integer'],
        ['rate', 'real'],
        ['decrease_after_us', 'integer'],
        ['increase_after_us', 'integer'],
        ['acc_sec', 'integer'],
        ['acc_count', 'integer'],
        ['acc_prev', 'integer'],
        ['conn_limit', 'integer'],
        ['conn_change_after_us', 'integer'],
        ['slowdown_at', 'text'],
        ['slowdown_reply', 'text'],
      ] as const;
      for (const [name, type] of throttle) {
        await db.schema
          .alterTable('smtp_throttle')
          .addColumn(name, type, (c) => (type === 'integer' && name !== 'conn_limit' ? c.notNull().defaultTo(0) : c))
          .execute();
      }
      await db.schema
        .alterTable('sends')
        .addColumn('lease_until', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('sends').addColumn('lease_owner', 'text').execute();
      await db.schema.alterTable('smtp_profiles').addColumn('failing_since', 'text').execute();
      await db.schema.alterTable('smtp_profiles').addColumn('failing_reason', 'text').execute();
      await db.schema.alterTable('smtp_profiles').addColumn('deleted_at', 'text').execute();
    },
  },
  /** What to do with a send whose outcome is unknown: resend it with the same Message-ID, or hold it for a person. */
  '005_uncertain_policy': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('uncertain_policy', 'text', (c) => c.notNull().defaultTo('resend'))
        .execute();
    },
  },
  /** The throttle's warm-up after an idle second (server/db/throttle.ts, WARMUP_STRETCH). */
  '006_throttle_warmup': {
    async up(db: Kysely<unknown>) {
      for (const column of ['warm_until_us', 'thr_sec', 'thr_count', 'thr_prev', 'shedding_until_us']) {
        await db.schema
          .alterTable('smtp_throttle')
          .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      }
      // A slow-down episode: the share of throttle replies that prompted its first cut (0: none yet), and the rate before it (-1: none).
      await db.schema
        .alterTable('smtp_throttle')
        .addColumn('episode_share', 'real', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('smtp_throttle')
        .addColumn('episode_from', 'real', (c) => c.notNull().defaultTo(-1))
        .execute();
    },
  },
  /** Replies since a slow-down episode's last cut (server/db/throttle.ts): the evidence for its next decision. */
  '007_throttle_episode_counts': {
    async up(db: Kysely<unknown>) {
      for (const column of ['ep_acc', 'ep_thr']) {
        await db.schema
          .alterTable('smtp_throttle')
          .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      }
    },
  },
  /**
   * Contacts with attributes and a subscription: attributes are one JSON object per contact,
   * each name typed once in contact_attributes. Indexes for the contacts list at 100,000 contacts:
   * newest first, and case-insensitive prefix search on email and name.
   */
  '040_contact_attributes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('contacts')
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema
        .alterTable('contacts')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('subscribed'))
        .execute();
      await db.schema.alterTable('contacts').addColumn('status_reason', 'text').execute();
      await db.schema.alterTable('contacts').addColumn('status_at', 'text').execute();
      await db.schema
        .createTable('contact_attributes')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('contacts_newest').on('contacts').columns(['created_at', 'id']).execute();
      await sql`CREATE INDEX contacts_email_lower ON contacts (lower(email))`.execute(db);
      await sql`CREATE INDEX contacts_name_lower ON contacts (lower(name))`.execute(db);
    },
  },
  /** Static lists of contacts, added to and removed from by hand; a run's audience can be one. */
  '041_lists': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('lists')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await sql`CREATE UNIQUE INDEX lists_name ON lists (lower(name))`.execute(db);
      await db.schema
        .createTable('list_members')
        .addColumn('list_id', 'text', (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('list_members_pk', ['list_id', 'contact_id'])
        .execute();
      await db.schema.createIndex('list_members_contact').on('list_members').column('contact_id').execute();
    },
  },
  /**
   * Ownership (one workspace): flows and runs belong to who made them; one-off messages and test emails
   * get a row naming who sent them, so their delivery log is scoped like a run's. Rows from before
   * have no owner: setup gives them to the first admin (adoptOwnerless), and until then only admins see them.
   */
  '020_ownership': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('flows').addColumn('owner_id', 'text').execute();
      await db.schema.alterTable('runs').addColumn('owner_id', 'text').execute();
      await sql`UPDATE runs SET owner_id = started_by`.execute(db);
      await db.schema.createIndex('flows_owner').on('flows').column('owner_id').execute();
      await db.schema.createIndex('runs_owner').on('runs').column('owner_id').execute();
      await db.schema
        .createTable('direct_sends')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('profile_id', 'text', (c) => c.notNull())
        .addColumn('sent_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('direct_sends_sender').on('direct_sends').columns(['sent_by', 'created_at']).execute();
      await db.schema.createIndex('direct_sends_profile').on('direct_sends').columns(['profile_id', 'kind', 'created_at']).execute();
    },
  },
  /** A login goes only over TLS unless an admin allows it in clear for a profile; the sandbox (local, no TLS) is allowed. */
  '010_smtp_plain_auth': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('smtp_profiles')
        .addColumn('allow_plain_auth', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`UPDATE smtp_profiles SET allow_plain_auth = 1 WHERE id = 'sandbox'`.execute(db);
    },
  },
  /** Failed sign-ins per email, for the per-account lockout (times in ms since the epoch). */
  '011_sign_in_failures': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sign_in_failures')
        .addColumn('email', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_failed_at', 'integer', (c) => c.notNull())
        .addColumn('locked_until', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
};

/** The sandbox's own database (data/sandbox.db), migrated apart: the mailbox only, as migration 001 made it in the app database. */
export const sandboxMigrations: Record<string, Migration> = {
  '001_sandbox_messages': {
    async up(db: Kysely<unknown>) {
      await createSandboxMessages(db);
    },
  },
  ...sandboxOwnerMigrations,
};
