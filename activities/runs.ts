import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Config } from './config';
import { getFlowVersion, getSmtpProfile, insertRun, newId, type Db } from './db';
import { UserError } from './errors';
import type { JourneyInput } from '../workflows/journey';

/** Deterministic: the same flow version, contact and trigger key always name one journey. */
export function journeyWorkflowId(flowId: string, version: number, contactId: string, triggerKey: string): string {
  return `journey:${flowId}:v${version}:${contactId}:${triggerKey}`;
}

/** Starts one journey workflow per chosen contact on a published flow version. */
export async function startRun(
  db: Db,
  temporal: Client,
  config: Config,
  request: { flowId: string; version: number; contactIds: string[] },
): Promise<{ runId: string }> {
  const flowVersion = await getFlowVersion(db, request.flowId, request.version);
  if (!flowVersion) {
    throw new UserError(404, 'version_not_found', `flow "${request.flowId}" has no published version ${request.version}; publish it first`);
  }
  const contactIds = [...new Set(request.contactIds)];
  const known = contactIds.length
    ? await db.selectFrom('contacts').select('id').where('id', 'in', contactIds).execute()
    : [];
  const unknown = contactIds.filter((id) => !known.some((k) => k.id === id));
  if (unknown.length > 0) {
    throw new UserError(404, 'unknown_contact', `unknown contact id(s): ${unknown.join(', ')}`, { field: 'contactIds', unknown });
  }
  for (const [nodeId, step] of Object.entries(flowVersion.plan.steps)) {
    if (step.type === 'sendEmail' && !(await getSmtpProfile(db, step.profileId))) {
      throw new UserError(422, 'unknown_profile', `node "${nodeId}" sends with SMTP profile "${step.profileId}", which no longer exists`, {
        nodeId,
      });
    }
  }

  const runId = newId('run');
  const journeys = contactIds.map((contactId) => ({
    contactId,
    workflowId: journeyWorkflowId(request.flowId, request.version, contactId, runId),
  }));
  await insertRun(db, { id: runId, flowId: request.flowId, version: request.version, contacts: journeys });
  for (const { contactId, workflowId } of journeys) {
    const input: JourneyInput = { plan: flowVersion.plan, runId, contactId };
    try {
      await temporal.workflow.start('journeyWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return { runId };
}
