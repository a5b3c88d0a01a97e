/**
 * The campaign workflow's Webhook pages: at each Webhook step with recipients due, one page of calls in
 * flight at a time (the callWebhooks activity, its own retry policy: durable retries of the calls worth
 * another try), beside the send batches rather than in their way. A page whose retries are spent sends
 * whoever it still holds down the failure branch. Deterministic code only.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Plan } from '../domain/flow/plan';

/** As a journey's Webhook: 2 s, 4 s, … up to 10 minutes apart, 14 attempts over about an hour. */
const { callWebhooks } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 14 },
});
const { failWebhookPage } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Recipients per page (server/cohort/webhook-page.ts calls a few of them at once). */
const WEBHOOK_PAGE = 200;

export class WebhookPages {
  readonly #inFlight = new Map<string, Promise<void>>();

  /** `done` runs as each page ends (the campaign looks again at once). */
  constructor(
    private readonly run: { runId: string; plan: Plan },
    private readonly done: () => void,
  ) {}

  /** Starts a page at each of these Webhook steps that has none in flight; `claim` names each new page. */
  start(due: readonly { nodeId: string }[], claim: () => string): void {
    const { runId, plan } = this.run;
    for (const { nodeId } of due) {
      const step = plan.steps[nodeId];
      if (step?.type !== 'webhook' || this.#inFlight.has(nodeId)) continue;
      const page = { runId, flowId: plan.flowId, nodeId, step, claim: claim(), limit: WEBHOOK_PAGE };
      const call = callWebhooks(page).then(
        () => undefined,
        async (err: unknown) => {
          if (!(err instanceof ActivityFailure)) throw err;
          await failWebhookPage({ runId, nodeId, claim: page.claim, next: step.failure });
        },
      );
      this.#inFlight.set(
        nodeId,
        call.finally(() => {
          this.#inFlight.delete(nodeId);
          this.done();
        }),
      );
    }
  }

  /** Waits for the pages in flight: their recipients are held until they end (before continue-as-new, cancelling, ending). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }
}
