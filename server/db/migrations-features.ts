/** The migrations of each feature, kept in files of their own and listed here (Kysely runs them in the order of their names). */
import type { Migration } from 'kysely';
import { eventMigrations } from './migrations-events';
import { importMigrations } from './import-migrations';
import { segmentMigrations } from './segment-migrations';
import { contactAdminMigrations } from './migrations-contact-admin';
import { flowVersionMigrations } from './migrations-flow-versions';
import { sendingMigrations } from './migrations-sending';
import { tlsTrustMigrations } from './migrations-tls-trust';
import { ownerMigrations } from './migrations-owners';
import { limitMigrations } from './migrations-limits';
import { deliveryLogMigrations } from './migrations-delivery-log';
import { scaleMigrations } from './migrations-scale';
import { scheduleMigrations } from './migrations-schedule';
import { webhookMigrations } from './migrations-webhooks';
import { frequencyCapMigrations } from './migrations-frequency-cap';
import { goalMigrations } from './migrations-goal';
import { guardMigrations } from './migrations-guard';
import { listTriggerMigrations } from './migrations-list-trigger';
import { storyMigrations } from './migrations-story';
import { paceMigrations } from './migrations-pace';
import { campaignStepMigrations } from './migrations-campaign-steps';
import { poolMigrations } from './migrations-pools';
import { segmentTriggerMigrations } from './migrations-segment-trigger';
import { reportMigrations } from './migrations-report';
import { sendLimitMigrations } from './migrations-send-limits';
import { trackingMigrations } from './migrations-tracking';
import { leaseMigrations } from './migrations-leases';

export const featureMigrations: Record<string, Migration> = {
  ...eventMigrations,
  ...sendingMigrations,
  ...importMigrations,
  ...segmentMigrations,
  ...contactAdminMigrations,
  ...flowVersionMigrations,
  ...tlsTrustMigrations,
  ...ownerMigrations,
  ...limitMigrations,
  ...deliveryLogMigrations,
  ...scaleMigrations,
  ...scheduleMigrations,
  ...webhookMigrations,
  ...frequencyCapMigrations,
  ...goalMigrations,
  ...guardMigrations,
  ...listTriggerMigrations,
  ...storyMigrations,
  ...paceMigrations,
  ...campaignStepMigrations,
  ...poolMigrations,
  ...segmentTriggerMigrations,
  ...reportMigrations,
  ...sendLimitMigrations,
  ...trackingMigrations,
  ...leaseMigrations,
};
