/**
 * A run's delivery log and reconciliation as the people who may see the run read them: filtered and
 * paged on the server, the log also as a CSV file that streams; 404 unless the actor may see the run.
 */
import { stepProfileIds } from '../../domain/flow/pool';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { type DeliveryLogFilter, failureClassOf, type LogPage, type ReconcileSelection } from '../../domain/delivery-log';
import { neutraliseCell } from '../../domain/contact-import';
import type { Plan } from '../../domain/flow/plan';
import { stepTitle } from '../../domain/flow/step-title';
import { visibleRun } from '../access';
import type { Db } from '../db';
import { deliveryLogPage, deliveryLogPages, type LogQuery } from '../db/delivery-log';
import { reconcileCounts, reconcileList } from '../db/reconciliation';
import { runPlan } from '../db/runs';
import type { Actor } from '../profiles';

/** The steps a filter names: the step itself, the steps that send with the profile, or those of both; undefined for any step. */
function stepsOf(plan: Plan | undefined, filter: Pick<DeliveryLogFilter, 'step' | 'profile'>): string[] | undefined {
  if (filter.step === undefined && filter.profile === undefined) return undefined;
  return Object.entries(plan?.steps ?? {})
    .filter(
      ([id, step]) =>
        (filter.step === undefined || id === filter.step) &&
        (filter.profile === undefined || (step.type === 'sendEmail' && stepProfileIds(step).includes(filter.profile))),
    )
    .map(([id]) => id);
}

export function logQuery(plan: Plan | undefined, filter: DeliveryLogFilter): LogQuery {
  return {
    outcome: filter.outcome,
    failureClass: filter.class,
    smtpCode: filter.code,
    nodeIds: stepsOf(plan, filter),
    email: filter.email ? { text: filter.email, exact: filter.exact } : undefined,
  };
}

/** One page of the run's filtered delivery log, newest first. */
export async function runLogFor(db: Db, actor: Actor, runId: string, filter: DeliveryLogFilter, page: LogPage) {
  await visibleRun(db, actor, runId);
  return deliveryLogPage(db, runId, logQuery(await runPlan(db, runId), filter), page);
}

const CSV_COLUMNS = [
  'time',
  'email',
  'contact_id',
  'step',
  'attempt',
  'outcome',
  'failure_class',
  'smtp_code',
  'smtp_reply',
  'message_id',
  'profile_id',
];

/** The run's filtered delivery log as CSV, newest first, streamed a page at a time (a cell a spreadsheet would run as a formula is quoted). */
export async function runLogCsvFor(db: Db, actor: Actor, runId: string, filter: DeliveryLogFilter): Promise<Readable> {
  await visibleRun(db, actor, runId);
  const plan = await runPlan(db, runId);
  async function* rows() {
    for await (const page of deliveryLogPages(db, runId, logQuery(plan, filter))) {
      for (const a of page) {
        const failed = a.outcome === 'failed' || a.outcome === 'retrying' || a.outcome === 'uncertain';
        yield [
          a.at,
          a.email,
          a.contactId,
          stepTitle(plan?.steps[a.nodeId], a.nodeId),
          String(a.attempt),
          a.outcome,
          failed ? failureClassOf(a.smtpCode) : '',
          a.smtpCode === null ? '' : String(a.smtpCode),
          a.smtpReply,
          a.messageId,
          a.profileId ?? '',
        ].map(neutraliseCell);
      }
    }
  }
  return Readable.from(rows()).pipe(stringify({ header: true, columns: CSV_COLUMNS }));
}

/** The run's reconciliation: each set's count by reason, and with `selection` a page of that set's recipients. */
export async function runReconciliationFor(
  db: Db,
  actor: Actor,
  runId: string,
  selection?: ReconcileSelection,
  page: { after?: string | undefined; limit: number } = { limit: 50 },
) {
  await visibleRun(db, actor, runId);
  const nowMs = Date.now();
  const counts = await reconcileCounts(db, runId, nowMs);
  const list = selection ? await reconcileList(db, runId, selection, page, nowMs) : null;
  return { counts, list };
}
