/** Starting runs and one-off messages: the app's side of Temporal. */
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { compile } from '../domain/flow/compile';
import type { Plan } from '../domain/flow/plan';
import { AGENT_DEFAULT } from '../domain/senders';
import type { JourneyInput } from '../workflows/journey';
import type { Config } from './config';
import { newId, type Db } from './db';
import { existingContactIds, getContact } from './db/contacts';
import { getFlowVersion } from './db/flows';
import { insertRun } from './db/runs';
import { UserError } from './errors';
import { resolveSender, type Actor } from './profiles';

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

/** Starts one journey workflow per chosen contact on a published flow version. */
export async function startRun(
  db: Db,
  temporal: Client,
  config: Config,
  actor: Actor,
  request: { flowId: string; version: number; contactIds: string[] },
): Promise<{ runId: string }> {
  const flowVersion = await getFlowVersion(db, request.flowId, request.version);
  if (!flowVersion) {
    throw new UserError(404, 'version_not_found', `flow "${request.flowId}" has no published version ${request.version}; publish it first`);
  }
  const contactIds = [...new Set(request.contactIds)];
  const known = await existingContactIds(db, contactIds);
  const unknown = contactIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UserError(404, 'unknown_contact', `unknown contact id(s): ${unknown.join(', ')}`, { field: 'contactIds', unknown });
  }
  const plan = await resolvePlanSenders(db, actor, flowVersion.plan);

  const runId = newId('run');
  const journeys = contactIds.map((contactId) => ({
    contactId,
    workflowId: journeyWorkflowId(request.flowId, request.version, contactId, runId),
  }));
  await insertRun(db, { id: runId, flowId: request.flowId, version: request.version, startedBy: actor.id, contacts: journeys });
  for (const { contactId, workflowId } of journeys) {
    const input: JourneyInput = { plan, runId, contactId };
    try {
      await temporal.workflow.start('journeyWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return { runId };
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
  if (!(await getContact(db, request.contactId))) throw new UserError(404, 'unknown_contact', `contact "${request.contactId}" does not exist`);
  const profile = await resolveSender(db, actor, AGENT_DEFAULT);
  const compiled = compile(oneOffGraph(profile.id, request), { flowId: 'one-off', version: 0 });
  if (!compiled.ok) throw new UserError(422, 'invalid_message', compiled.errors.map((e) => e.message).join('; '), compiled.errors);
  const runId = newId('oneoff');
  const workflowId = `one-off:${request.contactId}:${runId}`;
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
      { id: 'start', type: 'trigger', position: at, data: { source: 'event' } },
      { id: 'message', type: 'sendEmail', position: at, data: { profileId, subject: message.subject, text: message.text } },
      { id: 'end', type: 'exit', position: at, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'message' },
      { id: 'e2', source: 'message', target: 'end' },
    ],
  };
}
