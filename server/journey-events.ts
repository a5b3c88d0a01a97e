/**
 * An API event reaches the contact's running journeys as the journey workflow's `event` signal: those
 * whose flow has a goal or a Wait until that may hear it. Temporal carries it; nothing here waits or polls.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { hearsEvent, type JourneyEvent } from '../domain/flow/event-match';
import { journeyEventSignal } from '../workflows/contracts';
import type { Db } from './db';
import { recentContactEntries } from './db/event-entries';
import { getFlowVersion } from './db/flows';

/** The contact's newest journeys an event is offered to (a contact re-entering "every time" may have many; the oldest ended long ago). */
export const JOURNEYS_SIGNALLED = 50;

/** Signals the event to each of the contact's journeys that may hear it; returns how many were running to hear it. */
export async function signalJourneys(db: Db, temporal: Client, contactId: string, event: JourneyEvent): Promise<number> {
  const entries = await recentContactEntries(db, contactId, JOURNEYS_SIGNALLED);
  const hears = new Map<string, boolean>();
  let signalled = 0;
  for (const entry of entries) {
    const key = `${entry.version}:${entry.flowId}`;
    if (!hears.has(key)) {
      const version = await getFlowVersion(db, entry.flowId, entry.version);
      hears.set(key, version !== undefined && hearsEvent(version.plan, event.event));
    }
    if (!hears.get(key)) continue;
    try {
      await temporal.workflow.getHandle(entry.workflowId).signal(journeyEventSignal, event);
      signalled++;
    } catch (err) {
      // The journey has ended (or never started): nothing to tell it.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return signalled;
}
