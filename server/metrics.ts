/**
 * Prometheus metrics (prom-client). Each process counts what it does itself: a worker its sends, the
 * waits for the profile's pace, its batches, claims and imported rows (the `process` metrics); the web
 * app also reports the database's view on each scrape (`watchDatabase`): recipients of running
 * campaigns due and waiting, their delivery log by outcome and each profile's rates, once for the whole
 * install however many workers run. Served by server/operations.ts at /metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './db';
import { cohortCounts, profileRates, runningAttemptCounts } from './db/operations';
import type { Decision, SendOutcome } from './sending/policy';

function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dripline_' });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
  const metrics = {
    /** outcome: what the send policy decided (sent, failed, suppressed, retry, …); class: the SMTP answer's kind (accepted, transient, permanent, …). */
    sends: new Counter({
      name: 'dripline_sends_total',
      help: 'Send attempts by outcome (the send policy decision), class (kind of SMTP answer) and SMTP profile',
      labelNames: ['outcome', 'class', 'profile'] as const,
      registers: [registry],
    }),
    throttleWaits: new Counter({
      name: 'dripline_throttle_waits_total',
      help: "Sends that waited for their slot in the profile's pace",
      labelNames: ['profile'] as const,
      registers: [registry],
    }),
    throttleWaitSeconds: new Histogram({
      name: 'dripline_throttle_wait_seconds',
      help: "How long a send waited for its slot in the profile's pace",
      labelNames: ['profile'] as const,
      buckets: seconds,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'dripline_send_batch_duration_seconds',
      help: 'How long a send batch (one sendBatch activity attempt) took',
      buckets: seconds,
      registers: [registry],
    }),
    claimSeconds: new Histogram({
      name: 'dripline_claim_duration_seconds',
      help: 'How long claiming the next due recipients of a batch took',
      buckets: seconds,
      registers: [registry],
    }),
    importRows: new Counter({
      name: 'dripline_import_rows_total',
      help: 'Contact import rows read, by outcome (imported, problem)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
  return { registry, metrics };
}

/** One of each per process, even when the web app's bundles load this module more than once. */
const holder = globalThis as typeof globalThis & { __driplineMetrics?: ReturnType<typeof create> };
holder.__driplineMetrics ??= create();
export const { registry, metrics } = holder.__driplineMetrics;

/** The send policy's decisions (server/sending/policy.ts) as the sends counter names them. */
const OUTCOMES: Record<Decision['kind'], string> = {
  sent: 'sent',
  failed: 'failed',
  suppress: 'suppressed',
  hold: 'held',
  'pause profile': 'profile_paused',
  'slow down': 'throttled',
  'fewer connections': 'fewer_connections',
  retry: 'retry',
  'hand off': 'handed_off',
};

/** Counts one send attempt: what the server answered and what the policy decided. */
export function countSend(profile: string, outcome: SendOutcome, decision: Decision): void {
  metrics.sends.inc({ outcome: OUTCOMES[decision.kind], class: outcome.accepted ? 'accepted' : outcome.kind, profile });
}

/** Seconds since `startMs`, for a histogram. */
export const since = (startMs: number) => (Date.now() - startMs) / 1000;

/** Adds the gauges read from the database on each scrape (the web app's /metrics). */
export function watchDatabase(target: Registry, db: () => Promise<Db>): void {
  new Gauge({
    name: 'dripline_cohort_recipients',
    help: 'Recipients of running campaigns by state: due (their next step is due now), waiting (for a later time), sending, retrying, held',
    labelNames: ['state'] as const,
    registers: [target],
    async collect() {
      const counts = await cohortCounts(await db(), Date.now());
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'dripline_running_delivery_attempts',
    help: 'Delivery log entries of running campaigns by outcome (sent, failed, retrying, uncertain, skipped)',
    labelNames: ['outcome'] as const,
    registers: [target],
    async collect() {
      const rows = await runningAttemptCounts(await db());
      this.reset();
      for (const { outcome, count } of rows) this.set({ outcome }, count);
    },
  });
  // One row per SMTP profile: a query per gauge is cheap.
  const rateGauge = (name: string, help: string, value: (r: { limit: number | null; learned: number | null }) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['profile'] as const,
      registers: [target],
      async collect() {
        const rows = await profileRates(await db());
        this.reset();
        for (const r of rows) {
          const v = value(r);
          if (v !== null) this.set({ profile: r.profileId }, v);
        }
      },
    });
  rateGauge(
    'dripline_profile_effective_rate',
    'Messages per second a profile sends at now: the lower of its limit and what it learned (absent: unlimited)',
    (r) => (r.learned === null ? r.limit : r.limit === null ? r.learned : Math.min(r.learned, r.limit)),
  );
  rateGauge(
    'dripline_profile_learned_rate',
    "Messages per second learned from the server's throttle replies (absent: nothing learned)",
    (r) => r.learned,
  );
  rateGauge('dripline_profile_limit_rate', "The profile's own limit in messages per second (absent: none)", (r) => r.limit);
}
