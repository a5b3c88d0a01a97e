/**
 * A campaign's Condition: the cohort split by branch in one pass. Pages of the recipients due there
 * are read with their facts (server/db/conditions.ts), and each branch's recipients move on to its
 * next node together, keeping their due time (so a following Delay counts from it).
 */
import { type ConditionFacts, type ConditionStep, chooseBranch } from '../../../domain/flow/nodes/condition';
import { conditionFacts } from '../../db/conditions';
import { dueRecipients, moveRecipientsOn } from '../../db/due-recipients';
import { byPages, type CohortStep } from '../step';

/** A contact deleted since it was enrolled: no attributes, no lists, no segments, so the default branch. */
const NO_FACTS: ConditionFacts = { contact: { email: '', name: null, attributes: {} }, lists: new Set(), segments: new Set(), sends: {} };

export const condition: CohortStep<ConditionStep> = {
  sentInBatches: false,
  advance: ({ db, runId, nodeId, nowMs }, step) =>
    byPages(
      () => dueRecipients(db, runId, nodeId, nowMs),
      async (page) => {
        const ids = page.map((r) => r.contactId);
        const facts = await conditionFacts(db, runId, ids, step);
        const byBranch = new Map<string, { next: string; contactIds: string[] }>();
        for (const id of ids) {
          const { branch, next } = chooseBranch(step, facts.get(id) ?? NO_FACTS);
          const group = byBranch.get(branch) ?? { next, contactIds: [] };
          group.contactIds.push(id);
          byBranch.set(branch, group);
        }
        await moveRecipientsOn(db, runId, nodeId, nowMs, byBranch);
      },
    ),
};
