import { compile } from '../workflows/flow/compile';
import { getFlow, insertFlowVersion, listSmtpProfiles, type Db } from './db';
import { UserError } from './errors';

/** Compiles the saved draft and stores it as a new immutable version. */
export async function publishFlow(db: Db, flowId: string): Promise<{ version: number }> {
  const flow = await getFlow(db, flowId);
  if (!flow) throw new UserError(404, 'flow_not_found', `flow "${flowId}" does not exist`);
  const result = compile(flow.graph, { flowId, version: 0 });
  if (!result.ok) throw new UserError(422, 'invalid_flow', 'the flow has errors; fix the highlighted nodes', result.errors);
  const profiles = new Set((await listSmtpProfiles(db)).map((p) => p.id));
  const missing = Object.entries(result.plan.steps).flatMap(([nodeId, step]) =>
    step.type === 'sendEmail' && !profiles.has(step.profileId)
      ? [{ nodeId, field: 'data.profileId', message: `SMTP profile "${step.profileId}" does not exist; choose another sender` }]
      : [],
  );
  if (missing.length > 0) throw new UserError(422, 'unknown_profile', 'a Send Email node uses an SMTP profile that does not exist', missing);
  const version = await insertFlowVersion(db, flowId, result.graph, (v) => ({ ...result.plan, version: v }));
  return { version };
}
