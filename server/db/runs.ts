/** Runs of a published flow version: the run itself, and pages of its recipients and delivery log. */
import { stepProfileIds } from '../../domain/flow/pool';
import type { Audience } from '../../domain/audience';
import type { ContactFilter } from '../../domain/contact-filter';
import type { ReconcileSet } from '../../domain/delivery-log';
import type { Plan } from '../../domain/flow/plan';
import { now, sql, type Db } from '.';
import { DELETED_CONTACT } from './contact-erasure';
import type { DeliveryAttempt } from './deliveries';
import type { RecipientStatus, RunStatus } from './tables';

export interface RunSummary {
  id: string;
  flowId: string;
  version: number;
  createdAt: string;
  flowName: string;
  status: RunStatus;
}

/** The audience as the run recorded it: a segment with the filter it was evaluated with when the run started. */
export type RunAudience =
  | { kind: 'all' }
  | { kind: 'list'; listId: string }
  | { kind: 'contacts'; count?: number }
  | { kind: 'segment'; segmentId: string; filter: ContactFilter }
  /** One set of an earlier run, as it was when someone pressed "send to these". */
  | { kind: 'resend'; sourceRunId: string; sets: ReconcileSet[]; reason?: string | undefined; count: number };

export interface Run extends RunSummary {
  workflowId: string | null;
  audience: RunAudience;
  finishedAt: string | null;
  startedBy: string | null;
  /** Who started it; with the flow's owner and admins, who may see and control it. */
  ownerId: string | null;
  flowOwnerId: string | null;
  /** The run this one resends a set of; null for a run of its own audience. */
  sourceRunId: string | null;
  /** When a scheduled run starts (ISO), or null for one started at once. */
  startAt: string | null;
  /** Hours the first send is spread over, or null. */
  spreadHours: number | null;
}

export interface RunRecipient {
  id: string;
  email: string;
  name: string;
  nodeId: string | null;
  status: RecipientStatus;
  dueAt: number;
  /** The Delay or Send window that put it off till dueAt (see recipientWait). */
  waitingIn: string | null;
  workflowId: string;
  updatedAt: string;
}

const summaryColumns = ['runs.id', 'runs.flowId', 'runs.version', 'runs.createdAt', 'runs.status', 'flows.name as flowName'] as const;

/** Writes a new run (status running, or scheduled with a start time). */
export async function insertRun(
  db: Db,
  run: {
    id: string;
    flowId: string;
    version: number;
    startedBy: string | null;
    idempotencyKey: string | null;
    /** A segment's audience also records the filter it was evaluated with (the segment may change later). */
    audience: Audience | Extract<RunAudience, { kind: 'segment' | 'resend' }>;
    workflowId: string;
    plan: Plan;
    /** A scheduled run is written as 'scheduled'; its campaign says 'running' when it starts. */
    startAt?: Date | undefined;
    spreadHours?: number | undefined;
  },
): Promise<void> {
  const audience =
    run.audience.kind === 'contacts'
      ? { kind: 'contacts', count: run.audience.contactIds.length }
      : run.audience.kind === 'list'
        ? { kind: 'list', listId: run.audience.listId }
        : run.audience;
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      flowId: run.flowId,
      version: run.version,
      startedBy: run.startedBy,
      ownerId: run.startedBy,
      createdAt: now(),
      status: run.startAt ? 'scheduled' : 'running',
      startAt: run.startAt?.toISOString() ?? null,
      spreadHours: run.spreadHours ?? null,
      idempotencyKey: run.idempotencyKey,
      audience: JSON.stringify(audience),
      workflowId: run.workflowId,
      plan: JSON.stringify(run.plan),
      finishedAt: null,
      sourceRunId: run.audience.kind === 'resend' ? run.audience.sourceRunId : null,
    })
    .execute();
}

/** Rewrites the audience a run records (a resend's, once its recipients are counted). */
export async function setRunAudience(db: Db, runId: string, audience: RunAudience): Promise<void> {
  await db
    .updateTable('runs')
    .set({ audience: JSON.stringify(audience) })
    .where('id', '=', runId)
    .execute();
}

export async function runIdForKey(db: Db, idempotencyKey: string): Promise<string | undefined> {
  return (await db.selectFrom('runs').select('id').where('idempotencyKey', '=', idempotencyKey).executeTakeFirst())?.id;
}

export async function getRun(db: Db, runId: string): Promise<Run | undefined> {
  const row = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select([
      ...summaryColumns,
      'runs.workflowId',
      'runs.audience',
      'runs.finishedAt',
      'runs.startedBy',
      'runs.ownerId',
      'flows.ownerId as flowOwnerId',
      'runs.sourceRunId',
      'runs.startAt',
      'runs.spreadHours',
    ])
    .where('runs.id', '=', runId)
    .executeTakeFirst();
  return row && { ...row, audience: JSON.parse(row.audience) as Run['audience'] };
}

/** The plan a run was started with (senders resolved), as its workflow received it. */
export async function runPlan(db: Db, runId: string): Promise<Plan | undefined> {
  const row = await db.selectFrom('runs').select('plan').where('id', '=', runId).executeTakeFirst();
  return row?.plan ? (JSON.parse(row.plan) as Plan) : undefined;
}

/** A scheduled run's new start time; false when it is no longer scheduled (it started, or was cancelled). */
export async function setRunStartAt(db: Db, runId: string, startAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('runs')
    .set({ startAt: startAt.toISOString() })
    .where('id', '=', runId)
    .where('status', '=', 'scheduled')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setRunStatus(db: Db, runId: string, status: RunStatus): Promise<void> {
  const finished = status === 'completed' || status === 'cancelled';
  await db
    .updateTable('runs')
    .set({ status, ...(finished ? { finishedAt: now() } : {}) })
    .where('id', '=', runId)
    .execute();
}

/** The runs started for a set of this one ("send to these"), oldest first. */
export async function runsResending(db: Db, runId: string): Promise<(RunSummary & { audience: RunAudience })[]> {
  const rows = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select([...summaryColumns, 'runs.audience'])
    .where('runs.sourceRunId', '=', runId)
    .orderBy('runs.createdAt')
    .execute();
  return rows.map((r) => ({ ...r, audience: JSON.parse(r.audience) as RunAudience }));
}

/** The latest runs; with `visibleTo`, only those that user started or that run one of their flows. */
export async function listRuns(db: Db, options: { flowId?: string; visibleTo?: string } = {}): Promise<RunSummary[]> {
  let q = db.selectFrom('runs').innerJoin('flows', 'flows.id', 'runs.flowId').select(summaryColumns).orderBy('runs.createdAt', 'desc').limit(50);
  if (options.flowId) q = q.where('runs.flowId', '=', options.flowId);
  const user = options.visibleTo;
  if (user !== undefined) q = q.where((eb) => eb.or([eb('runs.ownerId', '=', user), eb('flows.ownerId', '=', user)]));
  return q.execute();
}

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * A page of a run's recipients, in contact id order (the index's: fast at 1,000,000 rows); `total` when
 * the caller has counted them already (the run page, from its counts), else they are counted here.
 */
export async function listRunRecipients(
  db: Db,
  runId: string,
  page: { offset: number; limit: number; status?: RecipientStatus; total?: number },
): Promise<Page<RunRecipient>> {
  let q = db.selectFrom('runRecipients').where('runRecipients.runId', '=', runId);
  if (page.status) q = q.where('runRecipients.status', '=', page.status);
  const total = page.total !== undefined ? { n: page.total } : await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const items = await q
    // A deleted contact stays counted, under its anonymised id (server/db/contact-erasure.ts).
    .leftJoin('contacts', 'contacts.id', 'runRecipients.contactId')
    .select([
      'runRecipients.contactId as id',
      sql<string>`coalesce(contacts.email, ${DELETED_CONTACT})`.as('email'),
      sql<string>`coalesce(contacts.name, '')`.as('name'),
      'runRecipients.nodeId',
      'runRecipients.status',
      'runRecipients.dueAt',
      'runRecipients.waitingIn',
      'runRecipients.workflowId',
      'runRecipients.updatedAt',
    ])
    .orderBy('runRecipients.contactId')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return { items, total: Number(total.n) };
}

/** A page of a run's delivery log, newest first. */
export async function listRunAttempts(
  db: Db,
  runId: string,
  page: { offset: number; limit: number },
): Promise<Page<DeliveryAttempt & { email: string | null }>> {
  const total = await db
    .selectFrom('deliveryAttempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('runId', '=', runId)
    .executeTakeFirstOrThrow();
  const items = await db
    .selectFrom('deliveryAttempts')
    .leftJoin('contacts', 'contacts.id', 'deliveryAttempts.contactId')
    .selectAll('deliveryAttempts')
    .select('contacts.email')
    .where('deliveryAttempts.runId', '=', runId)
    .orderBy('deliveryAttempts.id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return { items, total: Number(total.n) };
}

/** Recipients per run, and how many completed or failed: for the list of runs. */
export async function runTotals(db: Db, runIds: string[]): Promise<Map<string, { recipients: number; completed: number; failed: number }>> {
  const totals = new Map<string, { recipients: number; completed: number; failed: number }>();
  if (runIds.length === 0) return totals;
  const rows = await db
    .selectFrom('runRecipients')
    .select(['runId', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', 'in', runIds)
    .groupBy(['runId', 'status'])
    .execute();
  for (const r of rows) {
    const t = totals.get(r.runId) ?? { recipients: 0, completed: 0, failed: 0 };
    t.recipients += Number(r.n);
    if (r.status === 'completed' || r.status === 'failed') t[r.status] += Number(r.n);
    totals.set(r.runId, t);
  }
  return totals;
}

/** Runs not finished yet (scheduled, running or paused) whose plan sends with this profile. */
export async function unfinishedRunsUsing(db: Db, profileId: string): Promise<RunSummary[]> {
  const rows = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select([...summaryColumns, 'runs.plan'])
    .where('runs.status', 'in', ['scheduled', 'running', 'paused'])
    .execute();
  return rows
    .filter(
      (r) => r.plan && Object.values((JSON.parse(r.plan) as Plan).steps).some((s) => s.type === 'sendEmail' && stepProfileIds(s).includes(profileId)),
    )
    .map(({ plan: _plan, ...run }) => run);
}
