/** Starting a run of a published flow version: the run and its audience are written, then its campaign workflow is started once. */
import type { Client } from '@temporalio/client';
import type { Audience } from '../../domain/audience';
import type { Plan, SendEmailStep } from '../../domain/flow/plan';
import { SpreadHours, startAtProblem } from '../../domain/run-schedule';
import { type CampaignInput, campaignWorkflowId } from '../../workflows/contracts';
import { mayUseFlow, visibleList, visibleSegment } from '../access';
import type { Config } from '../config';
import { newId, type Db } from '../db';
import { enrollFilterRecipients } from '../db/contact-filter';
import { existingContactIds, subscribedContactIds } from '../db/contacts';
import { getFlow, getFlowVersion } from '../db/flows';
import { enrollListRecipients } from '../db/lists';
import { insertRecipients } from '../db/recipients';
import { getRun, insertRun, runIdForKey, runPlan } from '../db/runs';
import { UserError } from '../errors';
import { resolveSender, type Actor } from '../profiles';
import { startOnce } from '../temporal/start-once';

/**
 * The plan with every sender resolved for the user who starts it: "agent's default" becomes their
 * default profile, and each profile must be one they may use (403 otherwise). With `everySendWith`, every
 * Send step sends with that profile instead.
 */
export async function resolvePlanSenders(db: Db, actor: Actor, plan: Plan, everySendWith?: string): Promise<Plan> {
  const steps: Plan['steps'] = {};
  for (const [nodeId, step] of Object.entries(plan.steps)) {
    if (step.type !== 'sendEmail') steps[nodeId] = step;
    else if (everySendWith !== undefined || !step.pool) {
      const { pool: _pool, ...one } = step;
      steps[nodeId] = { ...one, profileId: (await resolveSender(db, actor, everySendWith ?? step.profileId)).id };
    } else steps[nodeId] = await resolvePool(db, actor, step);
  }
  return { ...plan, steps };
}

/** A pooled step with each member resolved; members that resolve to the same profile become one, their weights added. */
async function resolvePool(db: Db, actor: Actor, step: SendEmailStep): Promise<SendEmailStep> {
  const weights = new Map<string, number>();
  for (const m of step.pool ?? []) {
    const id = (await resolveSender(db, actor, m.profileId)).id;
    weights.set(id, (weights.get(id) ?? 0) + m.weight);
  }
  const pool = [...weights].map(([profileId, weight]) => ({ profileId, weight }));
  const [first] = pool;
  if (!first || pool.length === 1) {
    const { pool: _pool, ...one } = step;
    return { ...one, profileId: first?.profileId ?? step.profileId };
  }
  return { ...step, profileId: first.profileId, pool };
}

export interface StartRunRequest {
  flowId: string;
  version: number;
  audience: Audience;
  /** The same key twice starts one run (a double click, a retried request). */
  idempotencyKey?: string | undefined;
  /** Start later (ISO date and time, in the future): the campaign waits in Temporal until then. */
  startAt?: string | undefined;
  /** Spread the first send evenly over this many hours (1 to 168). */
  spreadHours?: number | undefined;
}

/** The schedule a start request asks for, checked: a clear 422 naming the field otherwise. */
export function requestedSchedule(
  request: Pick<StartRunRequest, 'startAt' | 'spreadHours'>,
  nowMs: number,
): { startAt?: Date; spreadHours?: number } {
  const schedule: { startAt?: Date; spreadHours?: number } = {};
  if (request.startAt !== undefined) {
    const startAt = new Date(request.startAt);
    const problem = startAtProblem(startAt, nowMs);
    if (problem) throw new UserError(422, 'invalid_start_at', problem, { field: 'startAt' });
    schedule.startAt = startAt;
  }
  if (request.spreadHours !== undefined) {
    const parsed = SpreadHours.safeParse(request.spreadHours);
    if (!parsed.success)
      throw new UserError(422, 'invalid_spread_hours', parsed.error.issues[0]?.message ?? 'spreadHours is invalid', { field: 'spreadHours' });
    schedule.spreadHours = parsed.data;
  }
  return schedule;
}

/**
 * Starts a run of a published flow version for an audience of any size, in one durable step: the run
 * (and, for an explicit list, its recipients) is written, then one campaign workflow with an id derived
 * from the run is started; the workflow pages the audience in. Safe to repeat: with the same
 * idempotency key the run is found again and its workflow start is a no-op.
 */
export async function startRun(
  db: Db,
  temporal: Client,
  config: Config,
  actor: Actor,
  request: StartRunRequest,
): Promise<{ runId: string; created: boolean }> {
  // Keys are each user's own: another user's key never finds (or reveals) their run.
  const idempotencyKey = request.idempotencyKey ? `${actor.id}/${request.idempotencyKey}` : undefined;
  const existing = idempotencyKey ? await runIdForKey(db, idempotencyKey) : undefined;
  const runId = existing ?? newId('run');
  const workflowId = campaignWorkflowId(runId);
  let plan: Plan;
  let schedule: { startAt?: Date; spreadHours?: number };
  if (existing) {
    const stored = await runPlan(db, existing);
    if (!stored) throw new UserError(409, 'run_not_startable', `run "${existing}" was started before campaigns and cannot be started again`);
    plan = stored;
    // The schedule it was written with (a request repeated after its start time must not fail, nor change it).
    const run = await getRun(db, existing);
    schedule = {
      ...(run?.startAt ? { startAt: new Date(run.startAt) } : {}),
      ...(run?.spreadHours ? { spreadHours: run.spreadHours } : {}),
    };
  } else {
    schedule = requestedSchedule(request, Date.now());
    const flow = await getFlow(db, request.flowId);
    const flowVersion = flow && mayUseFlow(actor, flow) ? await getFlowVersion(db, request.flowId, request.version) : undefined;
    if (!flowVersion) {
      throw new UserError(404, 'version_not_found', `flow "${request.flowId}" has no published version ${request.version}; publish it first`);
    }
    plan = await resolvePlanSenders(db, actor, flowVersion.plan);
    const contactIds = request.audience.kind === 'contacts' ? [...new Set(request.audience.contactIds)] : [];
    if (contactIds.length > 0) {
      const known = await existingContactIds(db, contactIds);
      const unknown = contactIds.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new UserError(
          404,
          'unknown_contact',
          `unknown contact id(s): ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ` and ${unknown.length - 20} more` : ''}`,
          {
            field: 'audience.contactIds',
            unknown: unknown.slice(0, 100),
          },
        );
      }
    }
    const listId = request.audience.kind === 'list' ? request.audience.listId : undefined;
    if (listId !== undefined) await visibleList(db, actor, listId, 'audience.listId');
    // A segment is evaluated in the run's transaction, as a list is: its recipients are the contacts it matches now.
    const segment =
      request.audience.kind === 'segment' ? await visibleSegment(db, actor, request.audience.segmentId, 'audience.segmentId') : undefined;
    try {
      await db.transaction().execute(async (trx) => {
        await insertRun(trx, {
          id: runId,
          flowId: request.flowId,
          version: request.version,
          startedBy: actor.id,
          idempotencyKey: idempotencyKey ?? null,
          audience: segment ? { kind: 'segment', segmentId: segment.id, filter: segment.filter } : request.audience,
          workflowId,
          plan,
          ...schedule,
        });
        // Unsubscribed and suppressed contacts are left out of the audience (and checked again at send time).
        const mailable = contactIds.length > 0 ? await subscribedContactIds(trx, contactIds) : [];
        await insertRecipients(trx, { runId, entry: plan.entry, workflowId, dueAt: Date.now() }, mailable);
        if (listId !== undefined) await enrollListRecipients(trx, { runId, entry: plan.entry, workflowId, dueAt: Date.now() }, listId);
        if (segment) await enrollFilterRecipients(trx, { runId, entry: plan.entry, workflowId, dueAt: Date.now() }, segment.filter);
      });
    } catch (err) {
      // Two requests with one key raced: the other one wrote the run; start (or find) its workflow.
      const raced = idempotencyKey ? await runIdForKey(db, idempotencyKey) : undefined;
      if (!raced) throw err;
      return startRun(db, temporal, config, actor, request);
    }
  }
  // A list or a segment was evaluated when the run was written: its recipients are enrolled, as an explicit list's are.
  const input: CampaignInput = {
    runId,
    plan,
    audience: request.audience.kind === 'all' ? 'all' : 'contacts',
    ...(schedule.startAt ? { startAt: schedule.startAt.getTime() } : {}),
    ...(schedule.spreadHours ? { spreadHours: schedule.spreadHours } : {}),
  };
  await startOnce(temporal, 'campaignWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
  return { runId, created: !existing };
}
