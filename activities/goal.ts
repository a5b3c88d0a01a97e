/** recordConversion: a journey reached its flow's goal; it is counted at the step the contact was in. */
import { now } from '../server/db';
import { recordConversion } from '../server/db/conversions';
import type { ActivityDeps } from '.';

export interface RecordConversionInput {
  runId: string;
  flowId: string;
  version: number;
  nodeId: string;
  contactId: string;
}

export function createGoalActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async recordConversion(input: RecordConversionInput): Promise<void> {
      await recordConversion(db, { ...input, convertedAt: now() });
    },
  };
}
