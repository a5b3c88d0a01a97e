/**
 * The one data-access module. SQLite (better-sqlite3) by default; every query goes through
 * Kysely, which also speaks PostgreSQL, so adding it later changes only `openDatabase`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Generated, type Migration, type Selectable } from 'kysely';
import type { FlowGraph } from '../workflows/flow/schema';
import type { Plan } from '../workflows/flow/plan';

export interface Database {
  flows: { id: string; name: string; graph: string; created_at: string; updated_at: string };
  flow_versions: { flow_id: string; version: number; graph: string; plan: string; published_at: string };
  contacts: { id: string; email: string; name: string; created_at: string };
  smtp_profiles: {
    id: string;
    name: string;
    description: string;
    host: string;
    port: number;
    secure: number;
    require_tls: number;
    username: string;
    /** AES-256-GCM, see crypto.ts; '' when the profile has no password. Never leaves the server. */
    password_enc: string;
    from_email: string;
    from_name: string;
    reply_to: string;
    rate_per_second: number | null;
    max_connections: number;
    daily_cap: number | null;
    /** The install's fallback sender, used when an agent has no default of their own. */
    is_default: number;
    /** The user who created it; null for built-in profiles. */
    owner_id: string | null;
    /** Usable by every user (the sandbox); otherwise by its owner, admins and the agents it is shared with. */
    shared_with_all: number;
    created_at: string;
    updated_at: string;
  };
  /** An SMTP profile shared with an agent; is_default marks the agent's default sender (one per agent). */
  smtp_profile_agents: { profile_id: string; user_id: string; is_default: number };
  runs: { id: string; flow_id: string; version: number; started_by: string | null; created_at: string };
  run_contacts: {
    run_id: string;
    contact_id: string;
    workflow_id: string;
    status: RunContactStatus;
    updated_at: string;
  };
  /** Send ledger: one row per (run, node, contact); a retried send that finds SENT does not send again. */
  sends: {
    run_id: string;
    node_id: string;
    contact_id: string;
    status: SendStatus;
    message_id: string;
    updated_at: string;
  };
  delivery_attempts: {
    id: Generated<number>;
    run_id: string;
    node_id: string;
    contact_id: string;
    workflow_id: string;
    attempt: number;
    outcome: AttemptOutcome;
    smtp_code: number | null;
    smtp_reply: string;
    message_id: string;
    at: string;
  };
  /** Per-profile throttle state shared by every worker: see throttle.ts. */
  smtp_throttle: { profile_id: string; tat_us: number; day: string; day_count: number };
  sandbox_messages: {
    id: Generated<number>;
    received_at: string;
    envelope_from: string;
    envelope_to: string;
    from_header: string;
    to_header: string;
    reply_to: string;
    subject: string;
    message_id: string;
    text: string;
    raw: string;
  };
}

export type RunContactStatus = 'scheduled' | 'sent' | 'failed';
export type SendStatus = 'PENDING' | 'SENDING' | 'SENT' | 'FAILED';
export type AttemptOutcome = 'sent' | 'retrying' | 'failed';
export type Db = Kysely<Database>;
export type SmtpProfileRow = Selectable<Database['smtp_profiles']>;
export type DeliveryAttempt = Selectable<Database['delivery_attempts']>;
export type SandboxMessage = Selectable<Database['sandbox_messages']>;

const migrations: Record<string, Migration> = {
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
};

/** Opens (creating if needed) the SQLite database and brings it to the latest migration. */
export async function openDatabase(file: string): Promise<Db> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return db;
}

const now = () => new Date().toISOString();
export const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;

// ---- flows -------------------------------------------------------------------------------

export interface FlowSummary {
  id: string;
  name: string;
  updatedAt: string;
  latestVersion: number | null;
}

export async function listFlows(db: Db): Promise<FlowSummary[]> {
  const rows = await db
    .selectFrom('flows')
    .leftJoin('flow_versions', 'flow_versions.flow_id', 'flows.id')
    .select(['flows.id', 'flows.name', 'flows.updated_at'])
    .select((eb) => eb.fn.max('flow_versions.version').as('latest'))
    .groupBy(['flows.id', 'flows.name', 'flows.updated_at'])
    .orderBy('flows.updated_at', 'desc')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, updatedAt: r.updated_at, latestVersion: r.latest ?? null }));
}

export async function getFlow(db: Db, id: string) {
  const row = await db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const versions = await db
    .selectFrom('flow_versions')
    .select(['version', 'published_at'])
    .where('flow_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return { id: row.id, name: row.name, graph: JSON.parse(row.graph) as unknown, updatedAt: row.updated_at, versions };
}

/** Saves the editable draft. The graph may be incomplete; it is only compiled on publish. */
export async function saveFlowDraft(db: Db, flow: { id: string; name: string; graph: FlowGraph }): Promise<void> {
  const at = now();
  await db
    .insertInto('flows')
    .values({ id: flow.id, name: flow.name, graph: JSON.stringify(flow.graph), created_at: at, updated_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: flow.name, graph: JSON.stringify(flow.graph), updated_at: at }))
    .execute();
}

/** Stores an immutable published version; returns its number. */
export async function insertFlowVersion(db: Db, flowId: string, graph: FlowGraph, plan: (version: number) => Plan): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const last = await trx
      .selectFrom('flow_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('flow_id', '=', flowId)
      .executeTakeFirst();
    const version = (last?.v ?? 0) + 1;
    await trx
      .insertInto('flow_versions')
      .values({ flow_id: flowId, version, graph: JSON.stringify(graph), plan: JSON.stringify(plan(version)), published_at: now() })
      .execute();
    return version;
  });
}

export async function getFlowVersion(db: Db, flowId: string, version: number) {
  const row = await db
    .selectFrom('flow_versions')
    .selectAll()
    .where('flow_id', '=', flowId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && { ...row, plan: JSON.parse(row.plan) as Plan, graph: JSON.parse(row.graph) as FlowGraph };
}

// ---- contacts ----------------------------------------------------------------------------

export async function listContacts(db: Db) {
  return db.selectFrom('contacts').selectAll().orderBy('created_at').orderBy('email').execute();
}

export async function getContact(db: Db, id: string) {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findContactByEmail(db: Db, email: string) {
  return db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/** Which of these contact ids exist. */
export async function existingContactIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('contacts').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertContact(db: Db, contact: { email: string; name: string }) {
  const row = { id: newId('ct'), email: contact.email, name: contact.name, created_at: now() };
  await db.insertInto('contacts').values(row).execute();
  return row;
}

// ---- SMTP profiles -----------------------------------------------------------------------

export async function getSmtpProfile(db: Db, id: string): Promise<SmtpProfileRow | undefined> {
  return db.selectFrom('smtp_profiles').selectAll().where('id', '=', id).executeTakeFirst();
}

// ---- runs, the send ledger and the delivery log ------------------------------------------

export type StatusCounts = Record<RunContactStatus, number>;

export function emptyCounts(): StatusCounts {
  return { scheduled: 0, sent: 0, failed: 0 };
}

/** How many contacts of each run are scheduled, sent or failed. */
export async function runStatusCounts(db: Db, runIds: string[]): Promise<Map<string, StatusCounts>> {
  const counts = new Map<string, StatusCounts>();
  if (runIds.length === 0) return counts;
  const rows = await db
    .selectFrom('run_contacts')
    .select(['run_id', 'status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', 'in', runIds)
    .groupBy(['run_id', 'status'])
    .execute();
  for (const row of rows) {
    const entry = counts.get(row.run_id) ?? emptyCounts();
    entry[row.status] = Number(row.n);
    counts.set(row.run_id, entry);
  }
  return counts;
}


export async function insertRun(
  db: Db,
  run: { id: string; flowId: string; version: number; startedBy?: string; contacts: { contactId: string; workflowId: string }[] },
): Promise<void> {
  const at = now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('runs')
      .values({ id: run.id, flow_id: run.flowId, version: run.version, started_by: run.startedBy ?? null, created_at: at })
      .execute();
    for (const c of run.contacts) {
      await trx
        .insertInto('run_contacts')
        .values({ run_id: run.id, contact_id: c.contactId, workflow_id: c.workflowId, status: 'scheduled', updated_at: at })
        .execute();
    }
  });
}

export async function getRun(db: Db, runId: string) {
  const run = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flow_id')
    .select(['runs.id', 'runs.flow_id', 'runs.version', 'runs.created_at', 'flows.name as flow_name'])
    .where('runs.id', '=', runId)
    .executeTakeFirst();
  if (!run) return undefined;
  const contacts = await db
    .selectFrom('run_contacts')
    .innerJoin('contacts', 'contacts.id', 'run_contacts.contact_id')
    .select(['contacts.id', 'contacts.email', 'contacts.name', 'run_contacts.workflow_id', 'run_contacts.status', 'run_contacts.updated_at'])
    .where('run_contacts.run_id', '=', runId)
    .orderBy('contacts.email')
    .execute();
  const attempts = await db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('id')
    .execute();
  return { ...run, contacts, attempts };
}

export async function listRuns(db: Db, flowId?: string) {
  let q = db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flow_id')
    .select(['runs.id', 'runs.flow_id', 'runs.version', 'runs.created_at', 'flows.name as flow_name'])
    .orderBy('runs.created_at', 'desc')
    .limit(50);
  if (flowId) q = q.where('runs.flow_id', '=', flowId);
  return q.execute();
}

export async function getSend(db: Db, key: { runId: string; nodeId: string; contactId: string }) {
  return db
    .selectFrom('sends')
    .selectAll()
    .where('run_id', '=', key.runId)
    .where('node_id', '=', key.nodeId)
    .where('contact_id', '=', key.contactId)
    .executeTakeFirst();
}

export async function setSendStatus(
  db: Db,
  key: { runId: string; nodeId: string; contactId: string },
  status: SendStatus,
  messageId: string,
): Promise<void> {
  const at = now();
  await db
    .insertInto('sends')
    .values({ run_id: key.runId, node_id: key.nodeId, contact_id: key.contactId, status, message_id: messageId, updated_at: at })
    .onConflict((oc) => oc.columns(['run_id', 'node_id', 'contact_id']).doUpdateSet({ status, updated_at: at }))
    .execute();
}

const LEDGER_AFTER: Record<AttemptOutcome, SendStatus> = { sent: 'SENT', failed: 'FAILED', retrying: 'PENDING' };

/**
 * Logs one delivery attempt and, in the same transaction, moves the send ledger on (SENT, FAILED, or
 * back to PENDING for a retry) and the contact's status in its run: the log and the ledger never disagree.
 */
export async function recordDeliveryAttempt(db: Db, attempt: Omit<DeliveryAttempt, 'id' | 'at'>): Promise<void> {
  const at = now();
  const ledger = LEDGER_AFTER[attempt.outcome];
  const contactStatus: RunContactStatus | undefined = attempt.outcome === 'retrying' ? undefined : attempt.outcome;
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('delivery_attempts').values({ ...attempt, at }).execute();
    await trx
      .insertInto('sends')
      .values({ run_id: attempt.run_id, node_id: attempt.node_id, contact_id: attempt.contact_id, status: ledger, message_id: attempt.message_id, updated_at: at })
      .onConflict((oc) => oc.columns(['run_id', 'node_id', 'contact_id']).doUpdateSet({ status: ledger, updated_at: at }))
      .execute();
    if (contactStatus) {
      await trx
        .updateTable('run_contacts')
        .set({ status: contactStatus, updated_at: at })
        .where('run_id', '=', attempt.run_id)
        .where('contact_id', '=', attempt.contact_id)
        .execute();
    }
  });
}

/** Every delivery attempt to one contact, campaigns and one-off messages alike, newest first. */
export async function listContactDeliveries(db: Db, contactId: string, limit = 500) {
  return db
    .selectFrom('delivery_attempts')
    .leftJoin('runs', 'runs.id', 'delivery_attempts.run_id')
    .leftJoin('flows', 'flows.id', 'runs.flow_id')
    .selectAll('delivery_attempts')
    .select(['flows.name as flow_name', 'runs.version as flow_version'])
    .where('delivery_attempts.contact_id', '=', contactId)
    .orderBy('delivery_attempts.id', 'desc')
    .limit(limit)
    .execute();
}

// ---- sandbox mailbox ---------------------------------------------------------------------

export async function insertSandboxMessage(db: Db, m: Omit<SandboxMessage, 'id' | 'received_at'>): Promise<void> {
  await db.insertInto('sandbox_messages').values({ ...m, received_at: now() }).execute();
}

export async function listSandboxMessages(db: Db, limit = 200) {
  return db.selectFrom('sandbox_messages').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

export async function clearSandbox(db: Db): Promise<void> {
  await db.deleteFrom('sandbox_messages').execute();
}

export { sql };
