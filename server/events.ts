/**
 * `POST /api/v1/events`: the contact is created or updated, then every published flow whose Trigger
 * listens to the event starts a journey for them with its newest version. Each journey's workflow id
 * and runId derive from the flow, the contact, the API key and its idempotency key, so the same key
 * twice (even at once) starts one journey; the flow's re-entry policy decides whether the contact may enter again.
 */
import { createHash } from 'node:crypto';
import { type Client, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { closestName } from '../domain/closest-name';
import type { EventRequest } from '../domain/events';
import type { ReentryPolicy } from '../domain/flow/nodes/trigger';
import type { Plan } from '../domain/flow/plan';
import { eventWorkflowId, type JourneyInput, recipientAttributes } from '../workflows/contracts';
import type { Config } from './config';
import type { Db } from './db';
import type { ApiKey } from './db/api-keys';
import { type Contact, findContactByEmail, getContact, insertContact, isDuplicateEmail, updateContact } from './db/contacts';
import { contactEntries, findEventEntry, insertEventEntry, latestPublishedVersions } from './db/event-entries';
import { getFlowVersion } from './db/flows';
import { firstAdminId, userRole } from './db/users';
import { applyAttributeChanges } from './contacts';
import { UserError } from './errors';
import type { Actor } from './profiles';
import { resolvePlanSenders } from './runs/start';
import { signalJourneys } from './journey-events';
import { wakeWaitingRecipients } from './campaign-events';
import { startOnce } from './temporal/start-once';

/** What an event did in one flow. */
export interface EventJourney {
  flowId: string;
  version: number;
  /**
   * started: a journey began; duplicate: this idempotency key started it before; refused: the contact
   * may not enter (re-entry policy, unsubscribed); failed: the flow cannot send as its owner (reason says why).
   */
  status: 'started' | 'duplicate' | 'refused' | 'failed';
  workflowId?: string;
  /** Why a contact did not enter (refused, failed). */
  reason?: string;
}

/** Something about an accepted event the sender should know: `unknown_event`, no published flow listens to its name. */
export interface EventWarning {
  code: 'unknown_event';
  message: string;
  event: string;
  /** The closest event name a published flow listens to, when one is close (a likely typo). */
  didYouMean?: string;
}

export interface EventAccepted {
  event: string;
  idempotencyKey: string;
  contactId: string;
  /** The contact was made by this event. */
  contactCreated: boolean;
  /** Every flow listening to the event, and what happened in each (empty: no published flow listens to it). */
  journeys: EventJourney[];
  /** What the sender should know (empty when nothing): an event name no published flow listens to. */
  warnings: EventWarning[];
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');

/** The journey's runId (its ledger and delivery-log rows), deterministic like its workflow id. */
const entryIdFor = (flowId: string, contactId: string, idempotencyKey: string) =>
  `evt_${digest(`${flowId}\n${contactId}\n${idempotencyKey}`).slice(0, 24)}`;

/** Creates the contact or updates its name and attributes (checked as on the contact page: 422 naming `attributes.<name>`). */
async function upsertContact(db: Db, request: EventRequest): Promise<{ contact: Contact; created: boolean }> {
  const changes = { attributes: request.attributes };
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await findContactByEmail(db, request.email);
    const existing = found && (await getContact(db, found.id));
    if (existing) {
      const attributes = await applyAttributeChanges(db, existing.attributes, changes);
      const name = request.name ?? existing.name;
      await updateContact(db, existing.id, { name, attributes });
      return { contact: { ...existing, name, attributes }, created: false };
    }
    const attributes = await applyAttributeChanges(db, {}, changes);
    try {
      return { contact: await insertContact(db, { email: request.email, name: request.name ?? '', attributes }), created: true };
    } catch (err) {
      // Two events for a new address at once: the other made the contact; update it instead.
      if (!isDuplicateEmail(err)) throw err;
    }
  }
  throw new UserError(409, 'contact_busy', `the contact ${request.email} changed while this event was applied; send the event again`);
}

/** The flow's sends resolve for its owner ("agent's default" is theirs); flows from before owners, for the first admin. */
export async function ownerPlan(db: Db, flow: { flowId: string; ownerId: string | null }, plan: Plan): Promise<Plan> {
  const ownerId = flow.ownerId ?? (await firstAdminId(db));
  const role = ownerId ? await userRole(db, ownerId) : undefined;
  if (!ownerId || !role)
    throw new UserError(409, 'flow_without_owner', `flow "${flow.flowId}" has no owner to send as; ask an admin to publish it again`);
  const actor: Actor = { id: ownerId, role };
  return resolvePlanSenders(db, actor, plan);
}

export async function isRunning(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function startJourney(temporal: Client, config: Config, workflowId: string, input: JourneyInput): Promise<void> {
  // A finished journey is never started again under its id: the key stays spent.
  await startOnce(temporal, 'journeyWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [input],
    typedSearchAttributes: recipientAttributes({ runId: input.runId, flowId: input.plan.flowId, contactId: input.contactId }),
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

/** What a Wait until's or a goal's filters test: the event's attributes and its own properties (these win). */
export const eventValues = (request: EventRequest) =>
  request.attributes || request.properties ? { ...request.attributes, ...request.properties } : undefined;

/** The entering event's values, for the journey's `sameAsEntry` filters (only when it has any: the input stays as it was). */
const entryEvent = (request: EventRequest): Pick<JourneyInput, 'entryEvent'> => {
  const values = eventValues(request);
  return values ? { entryEvent: values } : {};
};

/** The event's properties for its journey's input: only when it has some, so other journeys' inputs stay as they were. */
export const eventOf = (request: EventRequest) => (request.properties ? { event: request.properties } : {});

export const REFUSALS: Record<Exclude<ReentryPolicy, 'always'>, string> = {
  once: 'the contact entered this flow before, and its Trigger lets a contact enter once ever',
  one_at_a_time: 'the contact is still in a journey of this flow, and its Trigger lets a contact be in one at a time',
};

export async function acceptEvent(
  db: Db,
  temporal: Client,
  config: Config,
  apiKey: ApiKey,
  request: EventRequest & { idempotencyKey: string },
): Promise<EventAccepted> {
  const { contact, created } = await upsertContact(db, request);
  // Journeys already running hear it first (a goal, a Wait until); the journeys it starts below do not.
  const heard = { event: request.event, properties: eventValues(request) ?? {} };
  await signalJourneys(db, temporal, contact.id, heard);
  // …and so do campaign recipients waiting at a Wait until.
  await wakeWaitingRecipients(db, temporal, contact.id, heard);
  // The idempotency key is the API key's own: another API key's same key is another event.
  const key = `${apiKey.id}/${request.idempotencyKey}`;
  const published = await eventFlows(db);
  const listening = published.filter((v) => v.event === request.event);
  const journeys: EventJourney[] = [];
  for (const flow of listening) {
    const workflowId = eventWorkflowId(flow.flowId, contact.id, digest(key));
    const entry = { flowId: flow.flowId, contactId: contact.id, idempotencyKey: key };
    if (contact.status !== 'subscribed') {
      const why = contact.statusReason ? ` (${contact.statusReason})` : '';
      journeys.push({
        flowId: flow.flowId,
        version: flow.version,
        status: 'refused',
        reason: `the contact is ${contact.status}${why}; they enter no flow`,
      });
      continue;
    }
    // This key was here before: start its journey again (a no-op unless the start failed last time).
    const earlier = await findEventEntry(db, entry);
    if (earlier) {
      journeys.push(await resume(db, temporal, config, earlier, request));
      continue;
    }
    if (flow.reentry === 'one_at_a_time') {
      const [latest] = await contactEntries(db, flow.flowId, contact.id, 1);
      // The newest entry may be this key's own, written by a request racing this one: the insert below finds it.
      if (latest && latest.idempotencyKey !== key && (await isRunning(temporal, latest.workflowId))) {
        journeys.push({ flowId: flow.flowId, version: flow.version, status: 'refused', reason: REFUSALS.one_at_a_time });
        continue;
      }
    }
    let plan: Plan;
    try {
      plan = await ownerPlan(db, flow, flow.plan);
    } catch (err) {
      // The flow cannot send as its owner (no default profile, a profile gone): it says so; other flows go on.
      if (!(err instanceof UserError)) throw err;
      journeys.push({ flowId: flow.flowId, version: flow.version, status: 'failed', reason: err.message });
      continue;
    }
    const id = entryIdFor(flow.flowId, contact.id, key);
    const written = await insertEventEntry(
      db,
      { ...entry, id, version: flow.version, event: request.event, workflowId, apiKeyId: apiKey.id },
      { onlyIfFirst: flow.reentry === 'once' },
    );
    if (!written) {
      // Either the same key raced us (its journey is the one), or "once ever" found an earlier entry.
      const raced = await findEventEntry(db, entry);
      journeys.push(
        raced
          ? await resume(db, temporal, config, raced, request)
          : { flowId: flow.flowId, version: flow.version, status: 'refused', reason: REFUSALS.once },
      );
      continue;
    }
    await startJourney(temporal, config, workflowId, { plan, runId: id, contactId: contact.id, ...entryEvent(request), ...eventOf(request) });
    journeys.push({ flowId: flow.flowId, version: flow.version, status: 'started', workflowId });
  }
  const warnings = listening.length === 0 ? [unknownEvent(request.event, new Set(published.map((v) => v.event)))] : [];
  return { event: request.event, idempotencyKey: request.idempotencyKey, contactId: contact.id, contactCreated: created, journeys, warnings };
}

/** The event names published flows listen to, in order: what the API page's example and "did you mean" draw on. */
export async function listenedEvents(db: Db): Promise<string[]> {
  return [...new Set((await eventFlows(db)).map((f) => f.event))].sort();
}

/** The newest published version of every flow whose Trigger is an event, with its event name and re-entry policy. */
async function eventFlows(db: Db) {
  return (await latestPublishedVersions(db)).flatMap((v) => {
    const trigger = v.graph.nodes.find((n) => n.type === 'trigger');
    return trigger?.type === 'trigger' && trigger.data.source === 'event' && trigger.data.event
      ? [{ ...v, event: trigger.data.event, reentry: trigger.data.reentry ?? 'once' }]
      : [];
  });
}

/** The warning for an event name no published flow listens to, with the closest name one does listen to. */
export function unknownEvent(event: string, known: ReadonlySet<string>): EventWarning {
  const didYouMean = closestName(event, known);
  const hint = didYouMean
    ? `did you mean "${didYouMean}"?`
    : known.size > 0
      ? `published flows listen to ${[...known]
          .sort()
          .slice(0, 10)
          .map((e) => `"${e}"`)
          .join(', ')}${known.size > 10 ? ', …' : ''}`
      : 'no published flow listens to any event yet: publish a flow whose Trigger is this event';
  return {
    code: 'unknown_event',
    event,
    message: `no published flow listens to the event "${event}", so it started nothing (the contact was saved); ${hint}`,
    ...(didYouMean ? { didYouMean } : {}),
  };
}

/** An entry written before (this key, or a request racing this one): its journey is started if it is not yet. */
async function resume(
  db: Db,
  temporal: Client,
  config: Config,
  entry: { id: string; flowId: string; version: number; contactId: string; workflowId: string },
  request: EventRequest,
): Promise<EventJourney> {
  const version = await getFlowVersion(db, entry.flowId, entry.version);
  const flow = version && (await latestPublishedVersions(db)).find((v) => v.flowId === entry.flowId);
  if (version && flow) {
    let plan: Plan;
    try {
      plan = await ownerPlan(db, flow, version.plan);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return { flowId: entry.flowId, version: entry.version, status: 'failed', workflowId: entry.workflowId, reason: err.message };
    }
    await startJourney(temporal, config, entry.workflowId, {
      plan,
      runId: entry.id,
      contactId: entry.contactId,
      ...entryEvent(request),
      ...eventOf(request),
    });
  }
  return { flowId: entry.flowId, version: entry.version, status: 'duplicate', workflowId: entry.workflowId };
}
