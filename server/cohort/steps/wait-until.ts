/**
 * A campaign's Wait until, per recipient in the cohort table: an arriving recipient starts its wait,
 * due again when its longest wait ends (`waitDeadline`). An API event for the contact that matches the
 * step (server/campaign-events.ts) marks the wait met and makes the recipient due now, and wakes the
 * campaign. A condition is checked on arrival, again at each API event for the contact (events are what
 * change attributes), and once more when the wait ends. Met: the `met` branch; the wait over: `timedOut`.
 */
import { type ConditionStep, chooseBranch } from '../../../domain/flow/nodes/condition';
import { WAIT_MET, WAIT_TIMED_OUT } from '../../../domain/flow/nodes/wait-until';
import type { WaitUntilStep } from '../../../domain/flow/plan';
import type { Db } from '../../db';
import { conditionFacts } from '../../db/conditions';
import { moveRecipientsOn } from '../../db/due-recipients';
import { dueWaiters, waitUntilDeadline } from '../../db/waiting-recipients';
import { byPages, type CohortStep } from '../step';

/** The contacts among these that match the step's condition now (a deleted contact matches nothing). */
async function matching(at: { db: Db; runId: string }, step: WaitUntilStep, contactIds: string[]) {
  if (step.until.kind !== 'contact' || contactIds.length === 0) return new Set<string>();
  const test: ConditionStep = {
    type: 'condition',
    branches: [{ id: WAIT_MET, label: 'Condition met', test: { kind: 'attributes', filter: step.until.filter }, next: WAIT_MET }],
    otherwise: WAIT_TIMED_OUT,
  };
  const facts = await conditionFacts(at.db, at.runId, contactIds, test);
  return new Set(
    contactIds.filter((id) => {
      const f = facts.get(id);
      return f !== undefined && chooseBranch(test, f).branch === WAIT_MET;
    }),
  );
}

export const waitUntil: CohortStep<WaitUntilStep> = {
  sentInBatches: false,
  advance: ({ db, runId, nodeId, nowMs }, step) =>
    byPages(
      () => dueWaiters(db, runId, nodeId, nowMs),
      async (page) => {
        const met = await matching(
          { db, runId },
          step,
          page.filter((r) => r.waitMetAt === null).map((r) => r.contactId),
        );
        for (const r of page) if (r.waitMetAt !== null) met.add(r.contactId);
        const over = page.filter((r) => !met.has(r.contactId) && r.waitDeadline !== null && r.waitDeadline <= nowMs).map((r) => r.contactId);
        const byBranch = new Map([
          [WAIT_MET, { next: step.met, contactIds: [...met] }],
          [WAIT_TIMED_OUT, { next: step.timedOut, contactIds: over }],
        ]);
        await moveRecipientsOn(db, runId, nodeId, nowMs, byBranch);
        // The rest wait on: those arriving from now, those woken for a look at their condition till the same end.
        const waits = page
          .filter((r) => !met.has(r.contactId) && (r.waitDeadline === null || r.waitDeadline > nowMs))
          .map((r) => ({ contactId: r.contactId, deadline: r.waitDeadline ?? nowMs + step.maxMs, arriving: r.waitDeadline === null }));
        await waitUntilDeadline(db, runId, nodeId, nowMs, waits);
      },
    ),
};
