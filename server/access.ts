/**
 * Who sees what, in one workspace. Flows, runs, segments and lists have owners: admins see and manage
 * everything; an agent sees and changes their own segments and lists, sees and edits their own flows,
 * and sees (and pauses, resumes, cancels, resends) the runs they started and the runs of their flows.
 * The contact base is the workspace's (an audience of "everyone" means every contact), but a contact's
 * delivery history shows an agent only the sends of runs they may see and their own one-off messages;
 * exporting contacts and mailing one who is not subscribed are admins' alone. The sandbox mailbox
 * shows an agent only messages of sends they may see; only admins empty it. Temporal's Web UI (no
 * login of its own) is linked for admins only. What one may not see answers 404, as if it did not
 * exist, so ids cannot be probed. Route handlers and pages ask here; SQL stays in db/.
 */
import type { Db, SandboxDb } from './db';
import { getContact } from './db/contacts';
import { entryPlan } from './db/event-entries';
import { listContactDeliveries } from './db/deliveries';
import { contactWebhookCalls } from './db/webhook-calls';
import { countArchivedFlows, type Flow, type FlowVersion, getFlow, getFlowVersion, listFlows, saveFlowDraft } from './db/flows';
import { mayViewMessage, visibleMessageIds } from './db/ownership';
import { type ContactList, getList, listLists, listMembers, listsOfContact } from './db/lists';
import { exportContactsCsv } from './contact-export';
import { type Config, temporalWorkflowUrl } from './config';
import { getRun, listRunRecipients, listRuns, type Run, runPlan } from './db/runs';
import { clearSandbox, getSandboxMessage, getSandboxRaw, listSandboxSummaries } from './db/sandbox';
import { readMessageParts } from './sandbox-read';
import { getSegment, listSegments, type Segment } from './db/segments';
import type { RecipientStatus } from './db/tables';
import { diffFlows, hasChanges } from '../domain/flow/diff';
import type { Plan } from '../domain/flow/plan';
import { FlowGraph } from '../domain/flow/schema';
import { UserError } from './errors';
import type { Actor } from './profiles';

const isAdmin = (actor: Actor) => actor.role === 'admin';

export const flowNotFound = (id: string) => new UserError(404, 'flow_not_found', `flow "${id}" does not exist`);
export const runNotFound = (id: string) => new UserError(404, 'run_not_found', `run "${id}" does not exist`);

/** Admins, and the flow's owner: who may see, edit, publish and run a flow. */
export const mayUseFlow = (actor: Actor, flow: Pick<Flow, 'ownerId'>) => isAdmin(actor) || flow.ownerId === actor.id;

/** Admins, who started the run, and the owner of its flow. */
export const mayViewRun = (actor: Actor, run: Pick<Run, 'ownerId' | 'flowOwnerId'>) =>
  isAdmin(actor) || run.ownerId === actor.id || run.flowOwnerId === actor.id;

/** The flow, if the actor may see it; 404 otherwise. */
export async function visibleFlow(db: Db, actor: Actor, id: string): Promise<Flow> {
  const flow = await getFlow(db, id);
  if (!flow || !mayUseFlow(actor, flow)) throw flowNotFound(id);
  return flow;
}

/** A published version of a flow the actor may see; 404 otherwise. */
export async function visibleFlowVersion(db: Db, actor: Actor, flowId: string, version: number): Promise<FlowVersion> {
  await visibleFlow(db, actor, flowId);
  const found = await getFlowVersion(db, flowId, version);
  if (!found) throw new UserError(404, 'version_not_found', `flow "${flowId}" has no published version ${version}; publish it first`);
  return found;
}

/** How many archived flows the actor may see. */
export function visibleArchivedCount(db: Db, actor: Actor) {
  return countArchivedFlows(db, isAdmin(actor) ? {} : { ownedBy: actor.id });
}

/**
 * The flows the actor may see: in use, or with `archived` the archived ones; each says whether its draft
 * does something its newest published version does not (a draft that no longer parses counts as changed).
 */
export async function visibleFlows(db: Db, actor: Actor, options: { archived?: boolean } = {}) {
  const flows = await listFlows(db, { ...options, ...(isAdmin(actor) ? {} : { ownedBy: actor.id }) });
  return flows.map(({ draft, publishedGraph, ...flow }) => {
    const parsed = FlowGraph.safeParse(draft);
    const unpublishedChanges = publishedGraph !== null && (!parsed.success || hasChanges(diffFlows(publishedGraph, parsed.data)));
    return { ...flow, unpublishedChanges };
  });
}

/**
 * Saves a draft: a new id makes a flow owned by the actor; an existing flow changes only if the actor
 * may edit it (checked in the write itself). Someone else's id answers 404.
 */
export async function saveDraftAs(db: Db, actor: Actor, flow: { id: string; name: string; graph: FlowGraph }): Promise<void> {
  const saved = await saveFlowDraft(db, { ...flow, ownerId: actor.id }, isAdmin(actor) ? {} : { onlyIfOwnedBy: actor.id });
  if (!saved) {
    throw new UserError(404, 'flow_not_found', `flow "${flow.id}" is not one you may change; create a new flow (POST /api/flows) instead`, {
      field: 'id',
    });
  }
}

/** Admins, and the owner: who may see, use and change a segment or a list (as a flow). */
export const mayUseAudience = (actor: Actor, item: { ownerId: string | null }) => isAdmin(actor) || item.ownerId === actor.id;

const withField = (field?: string) => (field ? { field } : undefined);
export const segmentNotFound = (id: string, field?: string) =>
  new UserError(404, 'segment_not_found', `segment "${id}" does not exist; choose one on the Segments page`, withField(field));
export const listNotFound = (id: string, field?: string) =>
  new UserError(404, 'list_not_found', `list "${id}" does not exist; choose one on the Lists page`, withField(field));

/** The segment, if the actor may see it; 404 otherwise (naming `field` when the id came in a request body). */
export async function visibleSegment(db: Db, actor: Actor, id: string, field?: string): Promise<Segment> {
  const segment = await getSegment(db, id);
  if (!segment || !mayUseAudience(actor, segment)) throw segmentNotFound(id, field);
  return segment;
}

export function visibleSegments(db: Db, actor: Actor): Promise<Segment[]> {
  return listSegments(db, isAdmin(actor) ? {} : { ownedBy: actor.id });
}

/** The list, if the actor may see it; 404 otherwise (naming `field` when the id came in a request body). */
export async function visibleList(db: Db, actor: Actor, id: string, field?: string): Promise<ContactList> {
  const list = await getList(db, id);
  if (!list || !mayUseAudience(actor, list)) throw listNotFound(id, field);
  return list;
}

/** The list and one page of its members (searched by `q`), if the actor may see it; 404 otherwise. */
export async function visibleListMembers(db: Db, actor: Actor, id: string, page: { q?: string; offset: number; limit: number }) {
  const list = await visibleList(db, actor, id);
  return { list, ...(await listMembers(db, id, page)) };
}

export function visibleLists(db: Db, actor: Actor): Promise<ContactList[]> {
  return listLists(db, isAdmin(actor) ? {} : { ownedBy: actor.id });
}

/** The lists the actor may see, and which of them this contact is on. */
export async function contactListsFor(db: Db, actor: Actor, contactId: string): Promise<{ lists: ContactList[]; memberOf: string[] }> {
  const lists = await visibleLists(db, actor);
  const on = new Set(await listsOfContact(db, contactId));
  return { lists, memberOf: lists.filter((l) => on.has(l.id)).map((l) => l.id) };
}

/**
 * Admin permissions over the contact base: exporting it (every contact, in a file) and mailing a contact
 * who unsubscribed. Agents see contacts, to pick recipients, and mail the subscribed ones.
 */
export const mayExportContacts = isAdmin;
export const mayMailUnsubscribed = isAdmin;

/** The contacts as CSV (`listId`: that list's members): admins only (403), as the export holds the whole base. */
export async function exportContactsFor(db: Db, actor: Actor, options: { listId?: string }) {
  if (!mayExportContacts(actor))
    throw new UserError(403, 'admin_only', 'only admins export contacts: an export holds every contact of the workspace');
  if (options.listId !== undefined) await visibleList(db, actor, options.listId, 'list');
  return exportContactsCsv(db, options);
}

/** Temporal's Web UI has no login and shows everyone's workflows: only admins are offered links to it. */
export const mayOpenTemporal = isAdmin;

/** The workflow's page in Temporal's Web UI for an admin; null for anyone else. */
export function temporalLinkFor(actor: Actor, config: Config, workflowId: string | null): string | null {
  return workflowId && mayOpenTemporal(actor) ? temporalWorkflowUrl(config, workflowId) : null;
}

/** The run, if the actor may see it; 404 otherwise. */
export async function visibleRun(db: Db, actor: Actor, id: string): Promise<Run> {
  const run = await getRun(db, id);
  if (!run || !mayViewRun(actor, run)) throw runNotFound(id);
  return run;
}

export function visibleRuns(db: Db, actor: Actor) {
  return listRuns(db, isAdmin(actor) ? {} : { visibleTo: actor.id });
}

export async function runRecipientsFor(db: Db, actor: Actor, runId: string, page: { offset: number; limit: number; status?: RecipientStatus }) {
  await visibleRun(db, actor, runId);
  return listRunRecipients(db, runId, page);
}

/**
 * The plans of those of these runs the actor may see (for their steps' names): a campaign run's, or the
 * flow version a journey an API event started runs; the others, and direct sends, are left out.
 */
export async function visibleRunPlans(db: Db, actor: Actor, runIds: Iterable<string>): Promise<Map<string, Plan>> {
  const plans = new Map<string, Plan>();
  for (const id of new Set(runIds)) {
    const run = await getRun(db, id);
    const entry = run ? undefined : await entryPlan(db, id);
    const plan = run ? (mayViewRun(actor, run) ? await runPlan(db, id) : undefined) : entry && mayUseFlow(actor, entry) ? entry.plan : undefined;
    if (plan) plans.set(id, plan);
  }
  return plans;
}

/** The contact (every user may see the workspace's contacts) and the deliveries and webhook calls the actor may see. */
export async function contactDeliveriesFor(db: Db, actor: Actor, contactId: string) {
  const contact = await getContact(db, contactId);
  if (!contact) throw new UserError(404, 'contact_not_found', `contact "${contactId}" does not exist`);
  const visible = isAdmin(actor) ? {} : { visibleTo: actor.id };
  const [deliveries, webhookCalls] = await Promise.all([listContactDeliveries(db, contactId, visible), contactWebhookCalls(db, contactId, visible)]);
  return { contact, deliveries, webhookCalls };
}

/** The sandbox mailbox's summaries as the actor may see it: everything for admins, the messages of their own sends for agents. */
export async function sandboxMessagesFor(db: Db, sandboxDb: SandboxDb, actor: Actor) {
  if (isAdmin(actor)) return listSandboxSummaries(sandboxDb);
  return listSandboxSummaries(sandboxDb, { messageIds: await visibleMessageIds(db, actor.id) });
}

/** A sandbox message the actor may see (admins; an agent, one of their sends'), or 404. */
async function visibleSandboxMessage<T extends { messageId: string }>(db: Db, actor: Actor, id: number, message: T | undefined): Promise<T> {
  if (!message || !(isAdmin(actor) || (await mayViewMessage(db, actor.id, message.messageId)))) {
    throw new UserError(404, 'message_not_found', `sandbox message "${id}" does not exist; it may have been pruned or the mailbox emptied`);
  }
  return message;
}

/** One sandbox message the actor may see, opened: its text, its HTML part and its headers (not its raw source). */
export async function sandboxMessageFor(db: Db, sandboxDb: SandboxDb, actor: Actor, id: number) {
  const message = await visibleSandboxMessage(db, actor, id, Number.isSafeInteger(id) ? await getSandboxMessage(sandboxDb, id) : undefined);
  const raw = await getSandboxRaw(sandboxDb, id);
  return { ...message, ...(await readMessageParts(raw?.raw ?? '')) };
}

/** One sandbox message's raw source, if the actor may see it; 404 otherwise. */
export async function sandboxRawFor(db: Db, sandboxDb: SandboxDb, actor: Actor, id: number): Promise<string> {
  return (await visibleSandboxMessage(db, actor, id, Number.isSafeInteger(id) ? await getSandboxRaw(sandboxDb, id) : undefined)).raw;
}

/** Emptying the sandbox mailbox deletes everyone's messages: admins only. */
export async function clearSandboxAs(sandboxDb: SandboxDb, actor: Actor): Promise<void> {
  if (!isAdmin(actor)) throw new UserError(403, 'admin_only', "only admins empty the sandbox mailbox: it holds everyone's messages");
  await clearSandbox(sandboxDb);
}
