/**
 * An agent's one-off message to one contact, sent with their default profile. It runs as a journey
 * of one Send step, compiled like any flow, so it is durable and lands in the contact's delivery history.
 */
import type { Client } from '@temporalio/client';
import { compile } from '../domain/flow/compile';
import { AGENT_DEFAULT } from '../domain/senders';
import { type JourneyInput, oneOffWorkflowId, recipientAttributes } from '../workflows/contracts';
import type { Config } from './config';
import { newId, type Db } from './db';
import { getContact } from './db/contacts';
import { insertDirectSend } from './db/ownership';
import { checkSendStep, knownVariables } from './email-content';
import { UserError } from './errors';
import { mayMailUnsubscribed } from './access';
import { resolveSender, type Actor } from './profiles';
import { startOnce } from './temporal/start-once';
import { ONE_OFF_RUN_PREFIX } from './unsubscribe';

export async function sendOneOff(
  db: Db,
  temporal: Client,
  config: Config,
  actor: Actor,
  request: { contactId: string; subject: string; text: string; confirmUnsubscribed?: boolean | undefined },
): Promise<{ runId: string; workflowId: string; profileId: string }> {
  const contact = await getContact(db, request.contactId);
  if (!contact) throw new UserError(404, 'unknown_contact', `contact "${request.contactId}" does not exist`);
  assertMayMail(actor, contact, request.confirmUnsubscribed === true);
  const profile = await resolveSender(db, actor, AGENT_DEFAULT);
  const compiled = compile(oneOffGraph(profile.id, request), { flowId: 'one-off', version: 0 });
  if (!compiled.ok) throw new UserError(422, 'invalid_message', compiled.errors.map((e) => e.message).join('; '), compiled.errors);
  // A template that does not parse is the sender's to fix now, not a failed send later.
  const step = compiled.plan.steps.message;
  const checked =
    step?.type === 'sendEmail' ? await checkSendStep('message', step, { textWritten: true }, knownVariables([]), { unknownIsError: false }) : [];
  const templates = checked.filter((p) => p.severity !== 'warning');
  if (templates.length > 0) throw new UserError(422, 'invalid_message', templates.map((e) => e.message).join('; '), templates);
  const runId = newId(ONE_OFF_RUN_PREFIX);
  const workflowId = oneOffWorkflowId(request.contactId, runId);
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
  await startOnce(temporal, 'journeyWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [input],
    typedSearchAttributes: recipientAttributes({ runId, flowId: compiled.plan.flowId, contactId: request.contactId }),
  });
  return { runId, workflowId, profileId: profile.id };
}

/**
 * A one-off message reaches a contact who is not subscribed (it carries no unsubscribe link): only an
 * admin may send one (403 for agents), and only when the request says they know (409 until then).
 */
function assertMayMail(actor: Actor, contact: { email: string; status: string }, confirmed: boolean) {
  if (contact.status === 'subscribed') return;
  if (!mayMailUnsubscribed(actor)) {
    throw new UserError(
      403,
      'admin_only',
      `${contact.email} is ${contact.status}: only admins send a one-off message to a contact who is not subscribed`,
    );
  }
  if (!confirmed) {
    throw new UserError(
      409,
      'contact_unsubscribed',
      `${contact.email} is ${contact.status}; send again with "confirmUnsubscribed": true to message them anyway`,
      { field: 'confirmUnsubscribed' },
    );
  }
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
