import { compile } from '../domain/flow/compile';
import { AGENT_DEFAULT } from '../domain/senders';
import type { Db } from './db';
import { visibleFlow } from './access';
import { deleteFlow, insertFlowVersion, setFlowArchived } from './db/flows';
import { UserError } from './errors';
import { resolveSender, type Actor } from './profiles';

/**
 * Compiles the saved draft and stores it as a new immutable version. Every sender must exist and be
 * one the publishing user may use (or "agent's default", resolved when a run starts). Only who may
 * see the flow may publish it (404 otherwise).
 */
export async function publishFlow(db: Db, flowId: string, actor: Actor, options: { note?: string | undefined } = {}): Promise<{ version: number }> {
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
  const version = await insertFlowVersion(db, flowId, result.graph, (v) => ({ ...result.plan, version: v }), {
    note: options.note,
    publishedBy: actor.id,
  });
  return { version };
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
