/** Starting runs and one-off messages: the app's side of Temporal. */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Audience } from '../domain/audience';
import { compile } from '../domain/flow/compile';
import type { Plan } from '../domain/flow/plan';
import { AGENT_DEFAULT } from '../domain/senders';
import type { CampaignInput } from '../workflows/campaign';
import type { JourneyInput } from '../workflows/journey';
import type { Config } from './config';
import { newId, type Db } from './db';
import { existingContactIds, getContact, subscribedContactIds } from './db/contacts';
import { getFlow, getFlowVersion } from './db/flows';
import { enrollFilterRecipients } from './db/contact-filter';
import { enrollListRecipients, getList } from './db/lists';
import { insertDirectSend } from './db/ownership';
import { mayUseFlow } from './access';
import { insertRecipients, pace, recipientCounts, releaseHeld, type RecipientCounts } from './db/recipients';
import { getRun, insertRun, runIdForKey, runPlan, setRunStatus, type Run } from './db/runs';
import { getSmtpProfile } from './db/smtp-profiles';
import { throttleState, type ThrottleState } from './db/throttle';
import { checkSendStep, knownVariables } from './email-content';
import { UserError } from './errors';
import { resolveSender, type Actor } from './profiles';
import { segmentOr404 } from './segments';
import { ONE_OFF_RUN_PREFIX } from './unsubscribe';

/** Deterministic: the same flow version, contact and trigger key always name one journey. */
export function journeyWorkflowId(flowId: string, version: number, contactId: string, triggerKey: string): string {
  return `journey:${flowId}:v${version}:${contactId}:${triggerKey}`;
}

/**
 * The plan with every sender resolved for the user who starts it: "agent's default" becomes their
 * default profile, and each profile must be one they may use (403 otherwise).
 */
async function resolvePlanSenders(db: Db, actor: Actor, plan: Plan): Promise<Plan> {
  const steps: Plan['steps'] = {};
  for (const [nodeId, step] of Object.entries(plan.steps)) {
    steps[nodeId] = step.type === 'sendEmail' ? { ...step, profileId: (await resolveSender(db, actor, step.profileId)).id } : step;
  }
  return { ...plan, steps };
}

/** Deterministic: one campaign workflow per run. */
export const campaignWorkflowId = (runId: string) => `campaign:${runId}`;

export interface StartRunRequest {
  flowId: string;
  version: number;
  audience: Audience;
  /** The same key twice starts one run (a double click, a retried request). */
  idempotencyKey?: string | undefined;
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
  if (existing) {
    const stored = await runPlan(db, existing);
    if (!stored) throw new UserError(409, 'run_not_startable', `run "${existing}" was started before campaigns and cannot be started again`);
    plan = stored;
  } else {
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
    if (listId !== undefined && !(await getList(db, listId))) {
      throw new UserError(404, 'list_not_found', `list "${listId}" does not exist; choose one on the Lists page`, { field: 'audience.listId' });
    }
    // A segment is evaluated in the run's transaction, as a list is: its recipients are the contacts it matches now.
    const segment = request.audience.kind === 'segment' ? await segmentOr404(db, request.audience.segmentId, 'audience.segmentId') : undefined;
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
  const input: CampaignInput = { runId, plan, audience: request.audience.kind === 'all' ? 'all' : 'contacts' };
  try {
    await temporal.workflow.start('campaignWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { runId, created: !existing };
}

/** Pause, resume or cancel a running campaign: a signal to its workflow, which says so in the run's status. */
export async function controlRun(db: Db, temporal: Client, runId: string, action: 'pause' | 'resume' | 'cancel'): Promise<void> {
  const run = await getRun(db, runId);
  if (!run) throw new UserError(404, 'run_not_found', `run "${runId}" does not exist`);
  if (!run.workflowId || run.status === 'completed' || run.status === 'cancelled') {
    throw new UserError(409, 'run_finished', `run "${runId}" is ${run.status}; only a running or paused run can be paused, resumed or cancelled`);
  }
  try {
    await temporal.workflow.getHandle(run.workflowId).signal(action);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new UserError(409, 'run_finished', `run "${runId}" has already finished`);
    throw err;
  }
}

/**
 * An agent's one-off message to one contact, sent with their default profile. It runs as a journey
 * of one Send step, compiled like any flow, so it is durable and lands in the contact's delivery history.
 */
export async function sendOneOff(
  db: Db,
  temporal: Client,
  config: Config,
  actor: Actor,
  request: { contactId: string; subject: string; text: string },
): Promise<{ runId: string; workflowId: string; profileId: string }> {
  const contact = await getContact(db, request.contactId);
  if (!contact) throw new UserError(404, 'unknown_contact', `contact "${request.contactId}" does not exist`);
  const profile = await resolveSender(db, actor, AGENT_DEFAULT);
  const compiled = compile(oneOffGraph(profile.id, request), { flowId: 'one-off', version: 0 });
  if (!compiled.ok) throw new UserError(422, 'invalid_message', compiled.errors.map((e) => e.message).join('; '), compiled.errors);
  // A template that does not parse is the sender's to fix now, not a failed send later.
  const step = compiled.plan.steps.message;
  const checked =
    step?.type === 'sendEmail' ? checkSendStep('message', step, { textWritten: true }, knownVariables([]), { unknownIsError: false }) : [];
  const templates = checked.filter((p) => p.severity !== 'warning');
  if (templates.length > 0) throw new UserError(422, 'invalid_message', templates.map((e) => e.message).join('; '), templates);
  const runId = newId(ONE_OFF_RUN_PREFIX);
  const workflowId = `one-off:${request.contactId}:${runId}`;
  // Who sent it: its delivery log shows to them and to admins, not to other agents.
  await insertDirectSend(db, {
    id: runId,
    kind: 'one-off',
    contactId: request.contactId,
    recipient: contact.email,
    profileId: profile.id,
    sentBy: actor.id,
  });
  const input: JourneyInput = { plan: compiled.plan, runId, contactId: request.contactId };
  await temporal.workflow.start('journeyWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
  return { runId, workflowId, profileId: profile.id };
}

/** A one-off message as a flow: Trigger → Send Email ("message") → Exit. */
function oneOffGraph(profileId: string, message: { subject: string; text: string }) {
  const at = { x: 0, y: 0 };
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'start', type: 'trigger', position: at, data: { source: 'event', event: 'one-off' } },
      { id: 'message', type: 'sendEmail', name: 'One-off message', position: at, data: { profileId, subject: message.subject, text: message.text } },
      { id: 'end', type: 'exit', position: at, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'message' },
      { id: 'e2', source: 'message', target: 'end' },
    ],
  };
}

export interface SenderPace extends ThrottleState {
  profileId: string;
  name: string;
  /** The profile's own limit (messages/s), if it has one. */
  limit: number | null;
  /** Sending is paused because the server refused the login, with its reply. */
  failing: string | null;
}

export interface RunReport {
  run: Run;
  /** Each sender the run uses: its pace now, what it learned, and whether it is paused. */
  senders: SenderPace[];
  counts: RecipientCounts;
  /** Messages per second over the last half minute (what the estimate uses). */
  recentRate: number;
  /** When the last recipient should be done, from who is left, their due times and the recent rate; null when unknown or finished. */
  estimatedFinish: string | null;
}

/** A run with its live counts and an honest estimate of when it finishes. */
export async function runReport(db: Db, runId: string): Promise<RunReport | undefined> {
  const run = await getRun(db, runId);
  if (!run) return undefined;
  const now = Date.now();
  const counts = await recipientCounts(db, runId, now);
  const window = 30_000;
  const { lastDueAt, sentSince } = await pace(db, runId, new Date(now - window).toISOString());
  const recentRate = sentSince / (window / 1000);
  const left = counts.waiting + counts.due + counts.sending + counts.retrying;
  let estimatedFinish: string | null = null;
  if (left > 0 && run.status === 'running' && recentRate > 0) {
    // Everyone due by now goes at the recent rate; those still waiting cannot go before their due time.
    const dueDone = now + ((counts.due + counts.sending) / recentRate) * 1000;
    estimatedFinish = new Date(Math.max(dueDone, lastDueAt ?? 0)).toISOString();
  } else if (left > 0 && run.status === 'running' && counts.due + counts.sending === 0 && lastDueAt) {
    estimatedFinish = new Date(lastDueAt).toISOString();
  }
  const plan = await runPlan(db, runId);
  const profileIds = [...new Set(Object.values(plan?.steps ?? {}).flatMap((s) => (s.type === 'sendEmail' ? [s.profileId] : [])))];
  const senders: SenderPace[] = [];
  for (const id of profileIds) {
    const profile = await getSmtpProfile(db, id);
    if (!profile) continue;
    const pace = await throttleState(db, profile);
    senders.push({ ...pace, profileId: id, name: profile.name, limit: profile.ratePerSecond, failing: profile.failingReason });
  }
  return { run, senders, counts, recentRate, estimatedFinish };
}

/**
 * A person resends recipients held for review (all of the run's, or these): their sends go out again
 * with the same Message-ID, and they go on through the flow. A finished run's campaign workflow is
 * started again for them (a new execution under the same id; nobody else is enrolled).
 */
export async function resendHeld(db: Db, temporal: Client, config: Config, runId: string, contactIds?: string[]): Promise<{ resent: number }> {
  const run = await getRun(db, runId);
  if (!run) throw new UserError(404, 'run_not_found', `run "${runId}" does not exist`);
  const plan = await runPlan(db, runId);
  if (!plan || !run.workflowId) throw new UserError(409, 'run_not_startable', `run "${runId}" was started before campaigns and has nothing held`);
  if (run.status === 'cancelled') throw new UserError(409, 'run_cancelled', `run "${runId}" was cancelled; nothing more is sent for it`);
  const resent = await releaseHeld(db, runId, contactIds);
  if (resent === 0)
    throw new UserError(409, 'nothing_held', `run "${runId}" has no recipient held for review${contactIds ? ' among those named' : ''}`);
  if (run.status === 'completed') {
    await setRunStatus(db, runId, 'running');
    const input: CampaignInput = { runId, plan, audience: 'contacts' };
    try {
      await temporal.workflow.start('campaignWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: run.workflowId, args: [input] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  } else {
    try {
      await temporal.workflow.getHandle(run.workflowId).signal('wake');
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { resent };
}
