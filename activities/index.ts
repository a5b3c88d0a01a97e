/**
 * Every activity the worker registers, built from the dependencies the worker hands them
 * (tests hand their own). Workflows import only the type: `proxyActivities<Activities>`.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../server/db';
import type { OutboundPolicy } from '../server/smtp/outbound';
import type { TransportPool } from '../server/smtp/transport-pool';
import { createCampaignWebhookActivities } from './campaign-webhook';
import { createCohortActivities } from './cohort';
import { createConditionActivities } from './condition';
import { createDateTriggerActivities } from './date-trigger';
import { createImportActivities } from './contact-import';
import { createGoalActivities } from './goal';
import { createSendBatch } from './send-batch';
import { createSendEmail } from './send-email';
import { createSegmentCheckActivities } from './segment-check';
import { createSendWindowActivities } from './send-window';
import { createWebhookActivities } from './webhook';

export interface ActivityDeps {
  db: Db;
  transports: TransportPool;
  /**
   * The install's secret key: Message-IDs derive from it and the ledger key (a resend keeps the same
   * Message-ID), and each flow's webhook signing secret from it and the flow id.
   */
  messageIdSecret: Buffer;
  /** Where Webhook steps may POST (DRIPLINE_WEBHOOK_ALLOWED_HOSTS); unset: public addresses only. */
  webhookPolicy?: OutboundPolicy;
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
    ...createWebhookActivities(deps),
    ...createCampaignWebhookActivities(deps),
    ...createGoalActivities(deps),
    ...createDateTriggerActivities(deps),
    ...createSegmentCheckActivities(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;
