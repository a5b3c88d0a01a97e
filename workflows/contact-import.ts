/**
 * A CSV import as a durable job (id `importWorkflowId`, in contracts.ts): calls `importContactsSlice` until the file
 * is read, then `finishContactImport`. The position lives in the app database, not in this history,
 * so a retried slice (a worker killed mid-import: its heartbeats stop, Temporal retries it elsewhere)
 * resumes at the last committed chunk, and the history stays a few events per minute of importing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ContactImportResult } from './contracts';

const { importContactsSlice } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // A dead worker is noticed within this long, and the slice retried on a live one.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const { finishContactImport } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function contactImportWorkflow(importId: string): Promise<ContactImportResult> {
  for (;;) {
    const slice = await importContactsSlice(importId);
    if (slice.done) {
      await finishContactImport(importId);
      return { rowsDone: slice.rowsDone };
    }
  }
}
