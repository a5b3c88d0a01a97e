/**
 * Every activity the worker registers, built from the dependencies the worker hands them
 * (tests hand their own). Workflows import only the type: `proxyActivities<Activities>`.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../server/db';
import type { TransportPool } from '../server/smtp/transport-pool';
import { createCohortActivities } from './cohort';
import { createConditionActivities } from './condition';
import { createImportActivities } from './contact-import';
import { createSendBatch } from './send-batch';
import { createSendEmail } from './send-email';
import { createSendWindowActivities } from './send-window';

export interface ActivityDeps {
  db: Db;
  transports: TransportPool;
  /** Key for deriving Message-IDs from the ledger key, so a resend keeps the same Message-ID. */
  messageIdSecret: Buffer;
  /** Where the web app is reached (DRIPLINE_PUBLIC_URL): unsubscribe links point there. Default http://localhost:3000. */
  publicUrl?: string;
  /** For starting a recipient's own retry workflow, on this task queue. */
  temporal: Client;
  taskQueue: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    sendEmail: createSendEmail(deps),
    sendBatch: createSendBatch(deps),
    ...createCohortActivities(deps),
    ...createImportActivities(deps),
    ...createSendWindowActivities(deps),
    ...createConditionActivities(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;
