/**
 * A campaign's A/B split: pages of the recipients due there are drawn into their branches by the run's
 * seed and each contact id (so a page re-advanced after a crash draws the same), and each branch's
 * recipients move on to its next node together, keeping their due time.
 */
import { type SplitStep, splitBranch, splitDraw } from '../../../domain/flow/nodes/split';
import { dueRecipients, moveRecipientsOn } from '../../db/due-recipients';
import { byPages, type CohortStep } from '../step';

export const split: CohortStep<SplitStep> = {
  sentInBatches: false,
  advance: ({ db, runId, nodeId, seed, nowMs }, step) =>
    byPages(
      () => dueRecipients(db, runId, nodeId, nowMs),
      async (page) => {
        const byBranch = new Map<string, { next: string; contactIds: string[] }>();
        for (const { contactId } of page) {
          const { branch, next } = splitBranch(step, splitDraw(seed, nodeId, contactId));
          const group = byBranch.get(branch) ?? { next, contactIds: [] };
          group.contactIds.push(contactId);
          byBranch.set(branch, group);
        }
        await moveRecipientsOn(db, runId, nodeId, nowMs, byBranch);
      },
    ),
};
