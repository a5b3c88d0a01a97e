/**
 * Date Triggers: each flow whose Trigger is a date attribute has its own workflow
 * (workflows/date-trigger.ts) that, once a day, has `startDateJourneys` start the journeys of the
 * contacts whose moment falls in the next day; each journey sleeps until its moment. The worker keeps
 * one running for every such flow (`keepDateTriggersRunning`): publishing a date-triggered flow starts
 * it within a minute, and it ends by itself once the flow is archived, deleted or triggered otherwise.
 */
import { type Client, WorkflowIdReusePolicy } from '@temporalio/client';
import { occurrencesBetween } from '../domain/flow/date-trigger';
import type { Plan } from '../domain/flow/plan';
import { contactZone } from '../domain/flow/nodes/send-window';
import { dateTriggerWorkflowId, recipientAttributes } from '../workflows/contracts';
import type { Db } from './db';
import { contactsWithAttribute, dateFlows, recordDateEntry } from './db/date-entries';
import { UserError } from './errors';
import { ownerPlan } from './events';
import { log } from './log';
import { startOnce } from './temporal/start-once';

export interface DateTriggerStarter {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** How many contacts are read at a time, and how many journeys are started at once. */
const PAGE = 1_000;
const AT_ONCE = 25;

/**
 * Starts the journey of every subscribed contact whose moment is in [from, to), each once per
 * occurrence (its workflow id says which), sleeping until that moment. `stopped` when the flow is no
 * longer date-triggered.
 */
export async function startDateJourneys(
  starter: DateTriggerStarter,
  flowId: string,
  period: { from: number; to: number },
  onProgress?: () => void,
): Promise<{ stopped: boolean; started: number }> {
  const { db, temporal, taskQueue } = starter;
  const flow = (await dateFlows(db)).find((f) => f.flowId === flowId);
  if (!flow) return { stopped: true, started: 0 };
  let plan: Plan;
  try {
    plan = await ownerPlan(db, flow, flow.plan);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    log.warn({ flowId }, `a date Trigger started no journeys today: ${err.message}`);
    return { stopped: false, started: 0 };
  }
  let started = 0;
  const start = async (contactId: string, occurrence: string, at: number) => {
    const entry = await recordDateEntry(db, flow, contactId, occurrence, new Date(at).toISOString());
    const fresh = await startOnce(temporal, 'journeyWorkflow', {
      taskQueue,
      workflowId: entry.workflowId,
      args: [{ plan, runId: entry.id, contactId, startAt: at }],
      typedSearchAttributes: recipientAttributes({ runId: entry.id, flowId, contactId }),
      // Once per occurrence, even after the journey ended.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    if (fresh) started++;
  };
  for (let after = ''; ; ) {
    const contacts = await contactsWithAttribute(db, flow.date.attribute, after, PAGE);
    const due = contacts.flatMap((contact) =>
      occurrencesBetween(
        contact.attributes[flow.date.attribute],
        flow.date,
        contactZone(contact.attributes, flow.date.timeZone),
        period.from,
        period.to,
      ).map((o) => ({ contactId: contact.id, ...o })),
    );
    for (let i = 0; i < due.length; i += AT_ONCE) {
      await Promise.all(due.slice(i, i + AT_ONCE).map((d) => start(d.contactId, d.occurrence, d.at)));
      onProgress?.();
    }
    onProgress?.();
    if (contacts.length < PAGE) return { stopped: false, started };
    after = contacts[contacts.length - 1]!.id;
  }
}

/** Starts the date Trigger of every date-triggered flow that has none running; returns how many it started. */
export async function ensureDateTriggers(starter: DateTriggerStarter): Promise<number> {
  let started = 0;
  for (const flow of await dateFlows(starter.db)) {
    const fresh = await startOnce(starter.temporal, 'dateTriggerWorkflow', {
      taskQueue: starter.taskQueue,
      workflowId: dateTriggerWorkflowId(flow.flowId),
      args: [{ flowId: flow.flowId }],
      // A trigger that stopped (the flow archived, then restored) may start again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    if (fresh) started++;
  }
  return started;
}

/** The worker's part: date Triggers for newly published flows now and every `everyMs`; returns how to stop. */
export function keepDateTriggersRunning(starter: DateTriggerStarter, everyMs = 60_000): () => Promise<void> {
  let stopped = false;
  let running = Promise.resolve();
  const tick = () => {
    running = ensureDateTriggers(starter)
      .then((started) => {
        if (started > 0) log.info(`started the date Triggers of ${started} flows`);
      })
      .catch((err: unknown) => log.error({ err }, 'could not start the date Triggers of date-triggered flows; trying again shortly'))
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
