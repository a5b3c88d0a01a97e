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
        const byNext = new Map<string, string[]>();
        for (const id of ids) {
          const { next } = chooseBranch(step, facts.get(id) ?? NO_FACTS);
          byNext.set(next, [...(byNext.get(next) ?? []), id]);
        }
        await moveRecipientsOn(db, runId, nodeId, byNext);
      },
    ),
};
