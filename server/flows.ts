import { compile } from '../domain/flow/compile';
import { AGENT_DEFAULT } from '../domain/senders';
import type { Db } from './db';
import { visibleFlow } from './access';
import { insertFlowVersion } from './db/flows';
import { getList } from './db/lists';
import { listAttributeDefinitions } from './db/contacts';
import { checkRules } from '../domain/flow/nodes/condition';
import { UserError } from './errors';
import { resolveSender, type Actor } from './profiles';

/**
 * Compiles the saved draft and stores it as a new immutable version. Every sender must exist and be
 * one the publishing user may use (or "agent's default", resolved when a run starts), and every list
 * a Condition tests must exist, and its attribute rules must name attributes contacts have, with
 * values of their type. Only who may
 * see the flow may publish it (404 otherwise).
 */
export async function publishFlow(db: Db, flowId: string, actor: Actor): Promise<{ version: number }> {
  const flow = await visibleFlow(db, actor, flowId);
  const result = compile(flow.graph, { flowId, version: 0 });
  if (!result.ok) throw new UserError(422, 'invalid_flow', 'the flow has errors; fix the highlighted nodes', result.errors);
  const missing = [];
  for (const [nodeId, step] of Object.entries(result.plan.steps)) {
    if (step.type !== 'sendEmail' || step.profileId === AGENT_DEFAULT) continue;
    try {
      await resolveSender(db, actor, step.profileId);
    } catch (err) {
      if (!(err instanceof UserError) || err.status !== 404) throw err; // 403: not yours to use
      missing.push({ nodeId, field: 'data.profileId', message: `SMTP profile "${step.profileId}" does not exist; choose another sender` });
    }
  }
  if (missing.length > 0) throw new UserError(422, 'unknown_profile', 'a Send Email node uses an SMTP profile that does not exist', missing);
  const noLists = [];
  const badRules = [];
  const types = Object.fromEntries((await listAttributeDefinitions(db)).map((a) => [a.name, a.type]));
  for (const [nodeId, step] of Object.entries(result.plan.steps)) {
    if (step.type !== 'condition') continue;
    for (const [i, branch] of step.branches.entries()) {
      if (branch.test.kind === 'inList' && !(await getList(db, branch.test.listId))) {
        noLists.push({
          nodeId,
          field: `data.branches.${i}.test.listId`,
          message: `Branch '${branch.label}' tests a list that does not exist; choose a list`,
        });
      }
      if (branch.test.kind === 'attributes') {
        for (const p of checkRules(branch.test.filter, types)) {
          badRules.push({ nodeId, field: `data.branches.${i}.test.filter.${p.field}`, message: `Branch '${branch.label}': ${p.message}` });
        }
      }
    }
  }
  if (noLists.length > 0) throw new UserError(422, 'unknown_list', 'a Condition tests a list that does not exist', noLists);
  if (badRules.length > 0) throw new UserError(422, 'invalid_rule', 'a Condition has a rule no contact can match; fix it', badRules);
  const version = await insertFlowVersion(db, flowId, result.graph, (v) => ({ ...result.plan, version: v }));
  return { version };
}
