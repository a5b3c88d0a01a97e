/**
 * A run's delivery log as people filter it, and its reconciliation: who received the run, who failed
 * (by failure class), who is uncertain, who was skipped and who was never sent. Pure, shared by the
 * run page, the API and the server.
 */
import { z } from 'zod';
import { pageLimit } from './paging';
import { CONTROL_CHARACTERS } from './text';

/** What an attempt's SMTP reply code says about a failure: a 5xx reply, a 4xx reply, or no reply at all (a connection, TLS, a profile's settings). */
export const FAILURE_CLASSES = ['rejected', 'deferred', 'no-reply'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];
export const FAILURE_CLASS_LABELS: Record<FailureClass, string> = {
  rejected: 'Rejected (5xx)',
  deferred: 'Deferred (4xx)',
  'no-reply': 'No reply (connection, TLS, settings)',
};

/** The failure class of an attempt's reply code. */
export const failureClassOf = (code: number | null): FailureClass =>
  code === null ? 'no-reply' : code >= 500 ? 'rejected' : code >= 400 ? 'deferred' : 'no-reply';

export const ATTEMPT_OUTCOMES = ['sent', 'retrying', 'failed', 'uncertain', 'skipped', 'frequency_capped'] as const;

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const noControl = (v: string) => !CONTROL_CHARACTERS.test(v);

/** The delivery log's filters, as query parameters (`?outcome=failed&class=rejected&code=550&step=…&profile=…&email=…&exact=1`). */
export const DeliveryLogFilter = z.object({
  outcome: z.preprocess(emptyAsUndefined, z.enum(ATTEMPT_OUTCOMES, { error: `outcome must be one of ${ATTEMPT_OUTCOMES.join(', ')}` }).optional()),
  class: z.preprocess(emptyAsUndefined, z.enum(FAILURE_CLASSES, { error: `class must be one of ${FAILURE_CLASSES.join(', ')}` }).optional()),
  code: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'code must be an SMTP reply code such as 550' })
      .int('code must be an SMTP reply code such as 550')
      .min(200, 'code must be an SMTP reply code between 200 and 599')
      .max(599, 'code must be an SMTP reply code between 200 and 599')
      .optional(),
  ),
  step: z.preprocess(emptyAsUndefined, z.string().max(200, 'step must be a step id of the run').optional()),
  profile: z.preprocess(emptyAsUndefined, z.string().max(200, 'profile must be an SMTP profile id').optional()),
  /** The email, or its beginning (case-insensitive); with exact=1, the whole address. */
  email: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
    z.string().max(320, 'email must be at most 320 characters').refine(noControl, 'email must not contain control characters').optional(),
  ),
  exact: z.preprocess((v) => v === '1' || v === 'true' || v === true, z.boolean()),
});
export type DeliveryLogFilter = z.output<typeof DeliveryLogFilter>;

/** Keyset paging of the log, newest first: `before` an attempt id (older ones), or `after` one (newer ones). */
const attemptId = (name: string) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: `${name} must be an attempt id` })
      .int(`${name} must be an attempt id`)
      .positive(`${name} must be an attempt id`)
      .max(Number.MAX_SAFE_INTEGER, `${name} must be an attempt id`)
      .optional(),
  );
export const LogPage = z.object({ before: attemptId('before'), after: attemptId('after'), limit: pageLimit(50) });
export type LogPage = z.output<typeof LogPage>;

/**
 * The reconciliation of a run, one set per recipient, the first that holds: failed (a send failed for
 * good), uncertain (a send's outcome is unknown), skipped (unsubscribed or suppressed when its send came
 * due), received (every send that came due was accepted), unsent (no message sent yet, or never will be).
 */
export const RECONCILE_SETS = ['received', 'failed', 'uncertain', 'skipped', 'unsent'] as const;
export type ReconcileSet = (typeof RECONCILE_SETS)[number];
export const RECONCILE_SET_LABELS: Record<ReconcileSet, string> = {
  received: 'Received (accepted by the server)',
  failed: 'Failed',
  uncertain: 'Uncertain (the server may have it)',
  skipped: 'Skipped',
  unsent: 'Never sent',
};

/** Why a recipient is never sent (yet), or skipped: the state they are in. */
export const REASON_LABELS: Record<string, string> = {
  waiting: 'still waiting (a delay or a send window)',
  due: 'due now',
  sending: 'being sent',
  retrying: 'retrying on its own',
  cancelled: 'the run was cancelled before them',
  completed: 'left the flow without a send',
  journey: 'in a journey of their own',
  unsubscribed: 'unsubscribed',
  suppressed: 'suppressed',
  subscribed: 'subscribed again since',
  deleted: 'contact deleted',
  frequency_capped: 'reached the frequency cap',
  ...FAILURE_CLASS_LABELS,
};

/** One set, optionally narrowed to one reason (a failure class for failed; a state or subscription for unsent and skipped). */
export const ReconcileSelection = z.object({
  set: z.enum(RECONCILE_SETS, { error: `set must be one of ${RECONCILE_SETS.join(', ')}` }),
  reason: z.preprocess(
    emptyAsUndefined,
    z.enum(Object.keys(REASON_LABELS) as [string, ...string[]], { error: 'reason is not one the set has' }).optional(),
  ),
});
export type ReconcileSelection = z.output<typeof ReconcileSelection>;

/**
 * "Send to these": a new run of the same flow version for one or more sets of a run (`set`: a set or a
 * list, such as ["failed", "uncertain"]; `reason` narrows a single set), with the same senders or this profile.
 */
export const SendToSetRequest = z
  .object({
    set: z
      .union(
        [ReconcileSelection.shape.set, z.array(ReconcileSelection.shape.set).min(1, 'set must name at least one set').max(RECONCILE_SETS.length)],
        {
          error: `set must be one of ${RECONCILE_SETS.join(', ')}, or a list of them`,
        },
      )
      .transform((v) => (Array.isArray(v) ? [...new Set(v)] : [v])),
    reason: ReconcileSelection.shape.reason,
    profileId: z.string().min(1, 'profileId must name an SMTP profile').max(200).refine(noControl, 'profileId must name an SMTP profile').optional(),
    /** The same key twice starts one run (a double click). */
    idempotencyKey: z
      .string()
      .min(1, 'idempotencyKey must not be empty')
      .max(200, 'idempotencyKey must be at most 200 characters')
      .refine(noControl, 'idempotencyKey must not contain control characters')
      .optional(),
  })
  .refine((r) => r.reason === undefined || r.set.length === 1, { message: 'reason narrows one set: name a single set with it', path: ['reason'] });
export type SendToSetRequest = z.input<typeof SendToSetRequest>;
/** The recipients "send to these" enrols: those in any of these sets (with `reason`, of the one set only). */
export interface SetChoice {
  sets: readonly ReconcileSet[];
  reason?: string | undefined;
}
