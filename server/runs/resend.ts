/**
 * "Send to these": a new run of the same flow version for one or more sets of a run
 * (domain/delivery-log.ts), linked to it, with the same senders or another profile. The sets are taken
 * as they are when the request comes: those recipients, and only they, are enrolled in the new run.
 */
import type { Client } from '@temporalio/client';
import { RECONCILE_SET_LABELS, SendToSetRequest } from '../../domain/delivery-log';
import { type CampaignInput, campaignWorkflowId } from '../../workflows/contracts';
import { mayUseFlow, visibleRun } from '../access';
import type { Config } from '../config';
import { newId, type Db } from '../db';
import { getFlow } from '../db/flows';
import { enrollReconciledSet } from '../db/reconciliation';
import { getRun, insertRun, runIdForKey, runPlan, setRunAudience } from '../db/runs';
import { UserError } from '../errors';
import type { Actor } from '../profiles';
import { startOnce } from '../temporal/start-once';
import { resolvePlanSenders } from './start';

/**
 * Starts the new run: 404 unless the actor may see the run, 403 unless they may start runs of its flow
 * (admins and the flow's owner) and use its senders (or `profileId`), 409 when the set is empty or,
 * for those never sent, while the run may still send to them.
 */
export async function sendToSet(
  db: Db,
  temporal: Client,
  config: Config,
  actor: Actor,
  sourceRunId: string,
  body: SendToSetRequest,
): Promise<{ runId: string; recipients: number; created: boolean }> {
  const request = SendToSetRequest.parse(body);
  const sets = request.set;
  const source = await visibleRun(db, actor, sourceRunId);
  const flow = await getFlow(db, source.flowId);
  if (!flow || !mayUseFlow(actor, flow)) {
    throw new UserError(403, 'flow_forbidden', `only the owner of flow "${source.flowName}" or an admin may start runs of it`);
  }
  const sourcePlan = await runPlan(db, sourceRunId);
  if (!sourcePlan)
    throw new UserError(409, 'run_not_startable', `run "${sourceRunId}" was started before campaigns; its recipients cannot be resent`);
  if (sets.includes('unsent') && (source.status === 'running' || source.status === 'paused')) {
    throw new UserError(
      409,
      'run_unfinished',
      `run "${sourceRunId}" is ${source.status} and may still send to those not sent yet; cancel it (or wait until it finishes) first`,
      { field: 'set' },
    );
  }
  const idempotencyKey = request.idempotencyKey ? `${actor.id}/${request.idempotencyKey}` : undefined;
  const existing = idempotencyKey ? await runIdForKey(db, idempotencyKey) : undefined;
  const runId = existing ?? newId('run');
  const workflowId = campaignWorkflowId(runId);
  const found = existing ? await getRun(db, existing) : undefined;
  let recipients = found?.audience.kind === 'resend' ? found.audience.count : 0;
  let plan = existing ? await runPlan(db, existing) : undefined;
  if (!plan) {
    plan = await resolvePlanSenders(db, actor, sourcePlan, request.profileId);
    const resolved = plan;
    const choice = { sets, reason: request.reason };
    try {
      await db.transaction().execute(async (trx) => {
        const audience = { kind: 'resend' as const, sourceRunId, ...choice, count: 0 };
        await insertRun(trx, {
          id: runId,
          flowId: source.flowId,
          version: source.version,
          startedBy: actor.id,
          idempotencyKey: idempotencyKey ?? null,
          audience,
          workflowId,
          plan: resolved,
        });
        recipients = await enrollReconciledSet(trx, { runId: sourceRunId, choice }, { runId, entry: resolved.entry, workflowId, dueAt: Date.now() });
        if (recipients === 0) {
          const label = sets.map((set) => RECONCILE_SET_LABELS[set].toLowerCase()).join('" or "');
          throw new UserError(
            409,
            'nothing_to_send',
            `run "${sourceRunId}" has no recipient in "${label}"${request.reason ? ` (${request.reason})` : ''}`,
            {
              field: 'set',
            },
          );
        }
        await setRunAudience(trx, runId, { ...audience, count: recipients });
      });
    } catch (err) {
      // Two requests with one key raced: the other one wrote the run; start (or find) its workflow.
      if (!(idempotencyKey && (await runIdForKey(db, idempotencyKey)))) throw err;
      return sendToSet(db, temporal, config, actor, sourceRunId, body);
    }
  }
  const input: CampaignInput = { runId, plan, audience: 'contacts' };
  await startOnce(temporal, 'campaignWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
  return { runId, recipients, created: !existing };
}
