import { compile, type FlowError, MAX_PLAN_BYTES } from '../domain/flow/compile';
import { stepProfileIds } from '../domain/flow/pool';
import { AGENT_DEFAULT } from '../domain/senders';
import type { Db } from './db';
import { mayUseAudience, visibleFlow } from './access';
import { listAttributeDefinitions } from './db/contacts';
import { deleteFlow, insertFlowVersion, setFlowArchived } from './db/flows';
import { knownVariables, preparePlanContent } from './email-content';
import { getList } from './db/lists';
import { getSegment } from './db/segments';
import { RESERVED_ATTRIBUTE_NAMES } from '../domain/contact';
import { checkRules } from '../domain/flow/nodes/condition';
import { UserError } from './errors';
import { resolveSender, type Actor } from './profiles';

/**
 * Compiles the saved draft and stores it as a new immutable version. Every sender must exist and be
 * one the publishing user may use (or "agent's default", resolved when a run starts). Every template
 * must parse and name only what contacts have (server/email-content.ts), and MJML compiles into the
 * stored plan. Every list and segment a Condition tests must exist, and its attribute rules must name attributes
 * contacts have, with values of their type. Only who may see the flow may publish it (404 otherwise).
 * Warnings do not stop it: they come back with the version.
 */
export async function publishFlow(
  db: Db,
  flowId: string,
  actor: Actor,
  options: { note?: string | undefined } = {},
): Promise<{ version: number; warnings: FlowError[] }> {
  const flow = await visibleFlow(db, actor, flowId);
  const compiled = compile(flow.graph, { flowId, version: 0 });
  if (!compiled.ok) {
    throw new UserError(422, 'invalid_flow', 'the flow has errors; fix the highlighted nodes', [...compiled.errors, ...(compiled.warnings ?? [])]);
  }
  // A campaign's audience, and a list's members, exist now: a variable none of them has is an error.
  // Contacts entering by an API event may bring attributes with the event: there it is a warning.
  const trigger = compiled.graph.nodes.find((n) => n.type === 'trigger');
  const eventProperties = trigger?.type === 'trigger' && trigger.data.source === 'event';
  const unknownIsError = !eventProperties;
  const attributes = await listAttributeDefinitions(db);
  const content = await preparePlanContent(compiled.plan, knownVariables(attributes), { unknownIsError, eventProperties });
  const problems = content.problems.filter((p) => p.severity !== 'warning');
  const warnings = [...compiled.warnings, ...content.problems.filter((p) => p.severity === 'warning')];
  if (problems.length > 0) throw new UserError(422, 'invalid_flow', 'the flow has errors; fix the highlighted nodes', [...problems, ...warnings]);
  const tooBig = Buffer.byteLength(JSON.stringify(content.plan)) > MAX_PLAN_BYTES;
  if (tooBig) {
    throw new UserError(422, 'invalid_flow', 'the flow is too large', [
      { field: 'flow', message: `compiled, the flow's messages are above the ${MAX_PLAN_BYTES / 1024} KB a flow may carry; shorten the bodies` },
    ]);
  }
  const result = { ...compiled, plan: content.plan };
  const missing = [];
  for (const [nodeId, step] of Object.entries(result.plan.steps)) {
    if (step.type !== 'sendEmail') continue;
    // Each member of a pool, like the one profile: it exists and the publisher may use it.
    for (const [i, profileId] of stepProfileIds(step).entries()) {
      if (profileId === AGENT_DEFAULT) continue;
      try {
        await resolveSender(db, actor, profileId);
      } catch (err) {
        if (!(err instanceof UserError) || err.status !== 404) throw err; // 403: not yours to use
        const field = step.pool ? `data.pool.${i}.profileId` : 'data.profileId';
        missing.push({ nodeId, field, message: `SMTP profile "${profileId}" does not exist; choose another sender` });
      }
    }
  }
  if (missing.length > 0) throw new UserError(422, 'unknown_profile', 'a Send Email node uses an SMTP profile that does not exist', missing);
  const noLists = [];
  // A Trigger on a list the publisher may not see is, to them, one on a list that does not exist.
  const triggerList = trigger?.type === 'trigger' && trigger.data.source === 'list' ? await getList(db, trigger.data.listId ?? '') : undefined;
  if (trigger?.type === 'trigger' && trigger.data.source === 'list' && !(triggerList && mayUseAudience(actor, triggerList)))
    noLists.push({ nodeId: trigger.id, field: 'data.listId', message: 'the Trigger names a list that does not exist; choose a list' });
  const noSegments = [];
  // The segments a Trigger enters on or has as its goal: ones the publisher may use.
  for (const field of ['segmentId', 'goalSegmentId'] as const) {
    const id = trigger?.type === 'trigger' && trigger.data.source !== 'audience' ? trigger.data[field] : undefined;
    if (id === undefined || (field === 'segmentId' && trigger?.data.source !== 'segment')) continue;
    const segment = await getSegment(db, id);
    if (!(segment && mayUseAudience(actor, segment)))
      noSegments.push({ nodeId: trigger!.id, field: `data.${field}`, message: 'the Trigger names a segment that does not exist; choose a segment' });
  }
  const badRules = [];
  const types = Object.fromEntries(attributes.map((a) => [a.name, a.type]));
  for (const [nodeId, step] of Object.entries(result.plan.steps)) {
    if (step.type !== 'condition') continue;
    for (const [i, branch] of step.branches.entries()) {
      // A list or segment the publisher may not see is, to them, one that does not exist.
      const list = branch.test.kind === 'inList' ? await getList(db, branch.test.listId) : undefined;
      if (branch.test.kind === 'inList' && !(list && mayUseAudience(actor, list))) {
        noLists.push({
          nodeId,
          field: `data.branches.${i}.test.listId`,
          message: `Branch '${branch.label}' tests a list that does not exist; choose a list`,
        });
      }
      const segment = branch.test.kind === 'inSegment' ? await getSegment(db, branch.test.segmentId) : undefined;
      if (branch.test.kind === 'inSegment' && !(segment && mayUseAudience(actor, segment))) {
        noSegments.push({
          nodeId,
          field: `data.branches.${i}.test.segmentId`,
          message: `Branch '${branch.label}' tests a segment that does not exist; choose a segment`,
        });
      }
      if (branch.test.kind === 'attributes') {
        const { filter } = branch.test;
        for (const p of checkRules(filter, types)) {
          const field = `data.branches.${i}.test.filter.${p.field}`;
          // As with template variables: contacts entering by an API event may bring an attribute none has yet.
          const rule = filter.rules[Number(p.field.split('.')[1])];
          if (!unknownIsError && rule && p.field.endsWith('.field') && !(RESERVED_ATTRIBUTE_NAMES as readonly string[]).includes(rule.field)) {
            const message = `Branch '${branch.label}': no contact has an attribute named ${rule.field} yet; contacts whose event does not bring it take another branch`;
            warnings.push({ nodeId, field, message, severity: 'warning' });
          } else badRules.push({ nodeId, field, message: `Branch '${branch.label}': ${p.message}` });
        }
      }
    }
  }
  // A date Trigger reads a date attribute contacts have.
  const dateAttribute = trigger?.type === 'trigger' && trigger.data.source === 'date' ? trigger.data.date?.attribute : undefined;
  if (trigger && dateAttribute !== undefined && types[dateAttribute] !== 'date') {
    const known = attributes.filter((a) => a.type === 'date').map((a) => a.name);
    const message = types[dateAttribute]
      ? `${dateAttribute} is a ${types[dateAttribute]} attribute, not a date; choose a date attribute${known.length ? ` (${known.join(', ')})` : ''}`
      : `no contact has an attribute named ${dateAttribute}; choose a date attribute${known.length ? ` (${known.join(', ')})` : ' (import contacts with one, e.g. birthday as YYYY-MM-DD)'}`;
    throw new UserError(422, 'invalid_trigger', 'the Trigger names no date attribute contacts have', [
      { nodeId: trigger.id, field: 'data.date.attribute', message },
    ]);
  }
  if (noLists.length > 0) throw new UserError(422, 'unknown_list', 'the flow names a list that does not exist', noLists);
  if (noSegments.length > 0) throw new UserError(422, 'unknown_segment', 'a Condition tests a segment that does not exist', noSegments);
  if (badRules.length > 0) throw new UserError(422, 'invalid_rule', 'a Condition has a rule no contact can match; fix it', badRules);
  const version = await insertFlowVersion(db, flowId, result.graph, (v) => ({ ...result.plan, version: v }), {
    note: options.note,
    publishedBy: actor.id,
  });
  return { version, warnings };
}

/** Archives the flow (or restores it, `archived: false`): only who may see it may (404 otherwise). */
export async function archiveFlow(db: Db, flowId: string, actor: Actor, archived: boolean): Promise<void> {
  await visibleFlow(db, actor, flowId);
  await setFlowArchived(db, flowId, archived);
}

/** Deletes the flow (who may see it may); refused with a 409 that says why while runs of it are in flight. */
export async function deleteFlowAs(db: Db, flowId: string, actor: Actor): Promise<void> {
  const flow = await visibleFlow(db, actor, flowId);
  const result = await deleteFlow(db, flowId);
  if ('inFlight' in result) {
    const runs = result.inFlight === 1 ? '1 run' : `${result.inFlight} runs`;
    throw new UserError(
      409,
      'runs_in_flight',
      `“${flow.name}” cannot be deleted while ${runs} of it ${result.inFlight === 1 ? 'is' : 'are'} still going; wait for ${result.inFlight === 1 ? 'it' : 'them'} to finish, or cancel ${result.inFlight === 1 ? 'it' : 'them'} on the run page, then delete it`,
    );
  }
}
