/**
 * Starts the journeys that contacts' joining a list entered them in. The entries and their pending
 * starts are written in the transaction that adds the members (server/db/list-entries.ts), so nothing
 * is lost between the add and the start: the request that added them starts them at once, the import
 * job after each slice, and the worker every few seconds and when it starts (after a crash). Each
 * journey's workflow id derives from its entry, so two of these at once, or a start retried, start it once.
 */
import { type Client, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Plan } from '../domain/flow/plan';
import { recipientAttributes } from '../workflows/contracts';
import type { Db } from './db';
import { contactEntries, type EventEntry } from './db/event-entries';
import { getFlowVersion } from './db/flows';
import { dropListEntry, listFlows, pendingListEntries, settleListEntries } from './db/list-entries';
import { segmentFlows } from './db/segment-entries';
import { UserError } from './errors';
import { isRunning, ownerPlan, REFUSALS } from './events';
import { log } from './log';
import { startOnce } from './temporal/start-once';

export interface ListEntryStarter {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** How many pending starts are read at a time, and how many workflow starts go to Temporal at once. */
const PAGE = 500;
const AT_ONCE = 25;

/**
 * Starts every pending list entry's journey (with `atMost`, that many at most: a request adding 10,000
 * members starts the first ones and leaves the rest to the worker); returns how many started and how
 * many will not (re-entry, the flow archived, no sender).
 */
export async function startListEntries(
  starter: ListEntryStarter,
  options: { onProgress?: () => void; atMost?: number } = {},
): Promise<{ started: number; dropped: number }> {
  const { db } = starter;
  const counts = { started: 0, dropped: 0 };
  for (;;) {
    const done = counts.started + counts.dropped;
    const entries = await pendingListEntries(db, Math.min(PAGE, (options.atMost ?? Number.POSITIVE_INFINITY) - done));
    if (entries.length === 0) return counts;
    // The outbox holds the entries of contacts entering a segment too (server/db/segment-entries.ts).
    const flows = new Map([...(await listFlows(db)), ...(await segmentFlows(db))].map((f) => [f.flowId, f]));
    const plans = new Map<string, Promise<Plan | string>>();
    const planOf = (entry: EventEntry) => {
      const key = `${entry.flowId}:${entry.version}`;
      if (!plans.has(key)) plans.set(key, planFor(db, flows.get(entry.flowId), entry));
      return plans.get(key)!;
    };
    for (let i = 0; i < entries.length; i += AT_ONCE) {
      const started = await Promise.all(
        entries.slice(i, i + AT_ONCE).map(async (entry) => {
          const plan = await planOf(entry);
          const refused = typeof plan === 'string' ? plan : await stillInJourney(starter, flows.get(entry.flowId)?.reentry, entry);
          if (refused) {
            log.warn(
              { entryId: entry.id, flowId: entry.flowId, contactId: entry.contactId },
              `a list's new member did not enter the flow: ${refused}`,
            );
            await dropListEntry(db, entry.id);
            counts.dropped++;
            return undefined;
          }
          await startOnce(starter.temporal, 'journeyWorkflow', {
            taskQueue: starter.taskQueue,
            workflowId: entry.workflowId,
            args: [{ plan: plan as Plan, runId: entry.id, contactId: entry.contactId }],
            typedSearchAttributes: recipientAttributes({ runId: entry.id, flowId: entry.flowId, contactId: entry.contactId }),
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
          return entry.id;
        }),
      );
      const ids = started.filter((id) => id !== undefined);
      await settleListEntries(db, ids);
      counts.started += ids.length;
      options.onProgress?.();
    }
  }
}

/** The entry's plan with its senders resolved for the flow's owner, or why it cannot start. */
async function planFor(db: Db, flow: { flowId: string; ownerId: string | null } | undefined, entry: EventEntry): Promise<Plan | string> {
  const version = await getFlowVersion(db, entry.flowId, entry.version);
  if (!flow || !version) return 'the flow was archived, deleted or changed its Trigger since';
  try {
    return await ownerPlan(db, flow, version.plan);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
}

/** "One at a time": why the contact may not enter while an earlier journey of the flow still runs. */
async function stillInJourney(starter: ListEntryStarter, reentry: string | undefined, entry: EventEntry): Promise<string | undefined> {
  if (reentry !== 'one_at_a_time') return undefined;
  const earlier = (await contactEntries(starter.db, entry.flowId, entry.contactId, 2)).find((e) => e.id !== entry.id);
  return earlier && (await isRunning(starter.temporal, earlier.workflowId)) ? REFUSALS.one_at_a_time : undefined;
}

/** The worker's part: pending starts now (those a crash left behind) and every `everyMs`; returns how to stop. */
export function keepStartingListEntries(starter: ListEntryStarter, everyMs = 5_000): () => Promise<void> {
  let stopped = false;
  let running = Promise.resolve();
  const tick = () => {
    running = startListEntries(starter)
      .then(({ started }) => {
        if (started > 0) log.info(`started ${started} journeys of contacts who joined a list`);
      })
      .catch((err: unknown) => log.error({ err }, 'could not start the journeys of contacts who joined a list; trying again shortly'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  let timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
