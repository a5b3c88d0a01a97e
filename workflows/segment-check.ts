/**
 * The one workflow per task queue (`segmentCheckWorkflowId`) that finds contacts entering segments: every
 * few seconds it looks at the contacts changed since (an outbox in the app database, written with each
 * change), and on a schedule at every contact, a few pages per activity call (rules that change with
 * time, changes no one noted). Its timers are Temporal's: a worker restarted between a change and the
 * look loses nothing. It continues as new before its history grows long.
 */
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SegmentCheckInput } from './contracts';

const { checkChangedContacts, scanSegments } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // A dead worker is noticed within this long, and the look retried on a live one.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Looks per run before continuing as new. */
const LOOKS_PER_RUN = 200;

export async function segmentCheckWorkflow(input: SegmentCheckInput = {}): Promise<void> {
  const checkMs = (input.checkEverySeconds ?? 10) * 1000;
  const scanMs = (input.scanEverySeconds ?? 300) * 1000;
  let nextScanAt = input.nextScanAt ?? Date.now();
  for (let look = 0; look < LOOKS_PER_RUN && !workflowInfo().continueAsNewSuggested; look++) {
    const { firstLookDue } = await checkChangedContacts();
    // A flow published since takes its first look at once: until then no one can enter it.
    if (firstLookDue || Date.now() >= nextScanAt) {
      let cursor = await scanSegments(null);
      while (cursor !== null) cursor = await scanSegments(cursor);
      nextScanAt = Date.now() + scanMs;
    }
    await sleep(Math.max(1000, Math.min(checkMs, nextScanAt - Date.now())));
  }
  await continueAsNew<typeof segmentCheckWorkflow>({ ...input, nextScanAt });
}
