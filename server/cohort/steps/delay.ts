/**
 * A campaign's Delay: every due recipient goes on, due its wait later. Fixed: one UPDATE. Randomize:
 * each contact's wait is drawn from the run's seed and its id, so a retried activity draws the same.
 */
import { drawDelayMs, keyedRandom } from '../../../domain/flow/draw';
import type { DelayStep } from '../../../domain/flow/plan';
import { delayDueRecipients, dueRecipients, rescheduleRecipients } from '../../db/due-recipients';
import { byPages, type CohortStep } from '../step';

export const delay: CohortStep<DelayStep> = {
  sentInBatches: false,
  async advance({ db, runId, nodeId, seed, nowMs }, step) {
    if (step.minMs === step.maxMs) return delayDueRecipients(db, runId, nodeId, nowMs, step.next, step.minMs);
    return byPages(
      () => dueRecipients(db, runId, nodeId, nowMs),
      (page) =>
        rescheduleRecipients(
          db,
          runId,
          nodeId,
          'delay',
          nowMs,
          page.map((r) => {
            const waitedMs = drawDelayMs(step.minMs, step.maxMs, () => keyedRandom(seed, `${nodeId}\n${r.contactId}`));
            return { contactId: r.contactId, next: step.next, dueAt: r.dueAt + waitedMs, waitedMs };
          }),
        ),
    );
  },
};
