/**
 * A page of a run's recipients due at one node: the steps that need no SMTP (Delay, Send window,
 * Condition) move them a page at a time, each page in one transaction.
 */
import type { Db } from '.';

export const DUE_PAGE = 5000;

export function dueAtNode(db: Db, runId: string, nodeId: string, nowMs: number) {
  return db
    .selectFrom('runRecipients')
    .where('runRecipients.runId', '=', runId)
    .where('runRecipients.status', '=', 'pending')
    .where('runRecipients.nodeId', '=', nodeId)
    .where('runRecipients.dueAt', '<=', nowMs)
    .limit(DUE_PAGE);
}
