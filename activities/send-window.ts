/**
 * A journey's Send window: when this contact may be sent to. An activity, not workflow code, so the
 * answer (which reads the contact's time zone and the worker's time-zone rules) is recorded in the
 * history: a replay on a worker with newer time-zone data still sleeps until the same instant.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { contactZone } from '../domain/flow/nodes/send-window';
import type { SendWindowStep } from '../domain/flow/plan';
import { nextAllowedTime } from '../domain/flow/send-window';
import { getContact } from '../server/db/contacts';
import type { ActivityDeps } from '.';

export interface SendWindowInput {
  contactId: string;
  step: SendWindowStep;
  /** The workflow's clock (in a time-skipping test it is not the activity's). */
  now: number;
  /** The workflow's seeded draw in [0, 1), for Randomize. */
  rand: number;
}

export function createSendWindowActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async sendWindowDueAt({ contactId, step, now, rand }: SendWindowInput): Promise<{ dueAt: number; zone: string }> {
      const contact = await getContact(db, contactId);
      const zone = contactZone(contact?.attributes, step.timeZone);
      try {
        return { dueAt: nextAllowedTime(now, step, zone, rand), zone };
      } catch (err) {
        // A window that cannot open (compile refuses those) would fail the same way on every retry.
        if (err instanceof RangeError) throw ApplicationFailure.nonRetryable(err.message, 'SendWindowInvalid');
        throw err;
      }
    },
  };
}
