/**
 * A date Trigger, one per flow: each day it asks the startDateJourneys activity to start the journeys of
 * contacts whose moment falls in the next day (each journey then sleeps until its own moment, on its
 * contact's clock), and sleeps until an hour before the day after. A durable loop of timers, so a
 * worker restarted in between picks it up where it was; continued as new every 30 days. It ends once the
 * flow is archived, deleted or no longer date-triggered. Deterministic code only.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DateTriggerInput, DateTriggerResult } from './contracts';

const { startDateJourneys } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const HOUR = 3_600_000;
/** How much is looked at in one go: a day; looked at an hour ahead, so every journey is waiting before its moment. */
export const DATE_PERIOD_MS = 24 * HOUR;
const LEAD_MS = HOUR;
const PERIODS_PER_RUN = 30;

export async function dateTriggerWorkflow({ flowId, from: carried }: DateTriggerInput): Promise<DateTriggerResult> {
  let from = carried ?? Date.now();
  for (let i = 0; i < PERIODS_PER_RUN; i++) {
    const to = from + DATE_PERIOD_MS;
    // The workflow's clock decides the period (an activity's clock is not it in a time-skipping test); a retry looks at the same one.
    const { stopped } = await startDateJourneys({ flowId, from, to });
    if (stopped) return { status: 'stopped' };
    const wake = to - LEAD_MS - Date.now();
    if (wake > 0) await sleep(wake);
    from = to;
  }
  return continueAsNew<typeof dateTriggerWorkflow>({ flowId, from });
}
