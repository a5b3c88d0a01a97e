/** Runs of a published flow version, and each contact's status in them. */
import { now, type Db } from '.';
import type { RunContactStatus } from './tables';
import type { DeliveryAttempt } from './deliveries';

export type StatusCounts = Record<RunContactStatus, number>;

export const emptyCounts = (): StatusCounts => ({ scheduled: 0, sent: 0, failed: 0 });

export interface RunSummary {
  id: string;
  flowId: string;
  version: number;
  createdAt: string;
  flowName: string;
}

export interface RunContact {
  id: string;
  email: string;
  name: string;
  workflowId: string;
  status: RunContactStatus;
  updatedAt: string;
}

export interface RunDetail extends RunSummary {
  contacts: RunContact[];
  attempts: DeliveryAttempt[];
}

/** How many contacts of each run are scheduled, sent or failed. */
export async function runStatusCounts(db: Db, runIds: string[]): Promise<Map<string, StatusCounts>> {
  const counts = new Map<string, StatusCounts>();
  if (runIds.length === 0) return counts;
  const rows = await db
    .selectFrom('runContacts')
    .select(['runId', 'status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('runId', 'in', runIds)
    .groupBy(['runId', 'status'])
    .execute();
  for (const row of rows) {
    const entry = counts.get(row.runId) ?? emptyCounts();
    entry[row.status] = Number(row.n);
    counts.set(row.runId, entry);
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
      .values({ id: run.id, flowId: run.flowId, version: run.version, startedBy: run.startedBy ?? null, createdAt: at })
      .execute();
    for (const c of run.contacts) {
      await trx
        .insertInto('runContacts')
        .values({ runId: run.id, contactId: c.contactId, workflowId: c.workflowId, status: 'scheduled', updatedAt: at })
        .execute();
    }
  });
}

const runColumns = ['runs.id', 'runs.flowId', 'runs.version', 'runs.createdAt', 'flows.name as flowName'] as const;

export async function getRun(db: Db, runId: string): Promise<RunDetail | undefined> {
  const run = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select(runColumns)
    .where('runs.id', '=', runId)
    .executeTakeFirst();
  if (!run) return undefined;
  const contacts = await db
    .selectFrom('runContacts')
    .innerJoin('contacts', 'contacts.id', 'runContacts.contactId')
    .select(['contacts.id', 'contacts.email', 'contacts.name', 'runContacts.workflowId', 'runContacts.status', 'runContacts.updatedAt'])
    .where('runContacts.runId', '=', runId)
    .orderBy('contacts.email')
    .execute();
  const attempts = await db.selectFrom('deliveryAttempts').selectAll().where('runId', '=', runId).orderBy('id').execute();
  return { ...run, contacts, attempts };
}

export async function listRuns(db: Db, flowId?: string): Promise<RunSummary[]> {
  let q = db.selectFrom('runs').innerJoin('flows', 'flows.id', 'runs.flowId').select(runColumns).orderBy('runs.createdAt', 'desc').limit(50);
  if (flowId) q = q.where('runs.flowId', '=', flowId);
  return q.execute();
}
