/**
 * An API event reaches the contact's waits at a Wait until in campaigns: each wait whose step hears it
 * is marked in the cohort table (met, for the event it waits for; due now, for a condition to look at
 * again), and the campaign is woken (its `wake` signal) to move them on. Nothing polls.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { eventMatches, type JourneyEvent } from '../domain/flow/event-match';
import { campaignWorkflowId, wakeSignal } from '../workflows/contracts';
import type { Db } from './db';
import { contactWaits, markWait } from './db/waiting-recipients';

/** Marks the contact's campaign waits this event ends or may end, and wakes their campaigns; returns how many waits it marked. */
export async function wakeWaitingRecipients(db: Db, temporal: Client, contactId: string, event: JourneyEvent, atMs = Date.now()): Promise<number> {
  const woken = new Set<string>();
  let marked = 0;
  for (const w of await contactWaits(db, contactId)) {
    const step = w.plan.steps[w.nodeId];
    if (step?.type !== 'waitUntil') continue;
    // A campaign has no entering event: a `sameAsEntry` filter matches nothing (compile refuses it there).
    const met = step.until.kind === 'event' && eventMatches(step.until.match, event);
    if (step.until.kind === 'event' && !met) continue;
    if (!(await markWait(db, { ...w, contactId }, atMs, met))) continue;
    marked++;
    woken.add(w.runId);
  }
  for (const runId of woken) {
    try {
      await temporal.workflow.getHandle(campaignWorkflowId(runId)).signal(wakeSignal);
    } catch (err) {
      // The campaign has ended: nothing to wake (it moved everyone on already).
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return marked;
}
