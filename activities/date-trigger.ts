/** startDateJourneys: a date Trigger's day: start the journeys of contacts whose moment falls in it (server/date-triggers.ts). */
import { heartbeat } from '@temporalio/activity';
import { startDateJourneys } from '../server/date-triggers';
import type { ActivityDeps } from '.';

export interface DateJourneysInput {
  flowId: string;
  /** The period, in ms since the epoch, on the workflow's clock. */
  from: number;
  to: number;
}

export function createDateTriggerActivities({ db, temporal, taskQueue }: Pick<ActivityDeps, 'db' | 'temporal' | 'taskQueue'>) {
  return {
    async startDateJourneys({ flowId, from, to }: DateJourneysInput): Promise<{ stopped: boolean; started: number }> {
      return startDateJourneys({ db, temporal, taskQueue }, flowId, { from, to }, () => heartbeat());
    },
  };
}
