/**
 * The answer types of a run's delivery log, reconciliation and "send to these" routes, as api-types.ts
 * holds the others (kept apart: that file is at its size limit). The request schemas are in
 * domain/delivery-log.ts (`DeliveryLogFilter`, `LogPage`, `ReconcileSelection`, `SendToSetRequest`).
 */
import type { LoggedAttempt, LogPageResult } from '@server/db/delivery-log';
import type { ReconcileCount, ReconciledRecipient } from '@server/db/reconciliation';

/** GET /api/runs/[id]/attempts: a page of the filtered delivery log, newest first, with the cursors of the pages around it. */
export type DeliveryLogAnswer = Omit<LogPageResult, 'items'> & { items: (LoggedAttempt & { temporalUrl: string | null })[] };

/** GET /api/runs/[id]/reconciliation */
export interface ReconciliationAnswer {
  counts: ReconcileCount[];
  list: { items: ReconciledRecipient[]; next: string | null } | null;
}

/** POST /api/runs/[id]/send-to: 201 (started), or 200 (this idempotency key's run). */
export interface SentToSet {
  runId: string;
  recipients: number;
  created: boolean;
}
