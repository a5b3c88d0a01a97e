/**
 * The sendEmail activity: one message to one contact, for a journey, a one-off or a recipient's retry
 * workflow, through the single-message sender (server/sending/single.ts). It receives a profile id,
 * never credentials: the password stays out of Temporal history. Every wait is durable: a throttled
 * message, a busy send, a paused profile or a transient failure come back as a Temporal retry at the
 * time the sender names (nextRetryDelay); final failures are non-retryable.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { SendStopped, type SendEmailInput, type SendEmailResult, sendSingle, type SingleDeps } from '../server/sending/single';

export type { SendEmailInput, SendEmailResult };

export function createSendEmail(deps: SingleDeps) {
  return async function sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
    const context = Context.current();
    const { attempt, activityId, scheduledTimestampMs, currentAttemptScheduledTimestampMs } = context.info;
    try {
      return await sendSingle(deps, input, {
        owner: `${input.workflowId}/${activityId}#${attempt}`,
        earlier: attempt - 1,
        // Temporal's clock, not the worker's: a retry's wait is the server's (and a test server's skipped time).
        firstTriedAt: scheduledTimestampMs,
        now: currentAttemptScheduledTimestampMs,
        sleep: (ms) => context.sleep(ms),
      });
    } catch (err) {
      if (!(err instanceof SendStopped)) throw err;
      const stop = err.stop;
      if (stop.kind === 'failed') throw ApplicationFailure.nonRetryable(stop.message, stop.type);
      throw ApplicationFailure.create({ type: stop.type, message: stop.message, nextRetryDelay: stop.retryInMs });
    }
  };
}
