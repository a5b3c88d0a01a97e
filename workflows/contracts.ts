/**
 * What the app and the worker agree on, in one place: each workflow's input and result, its signals and
 * queries, and the functions that build workflow ids. Renaming a workflow, a signal or an input field
 * here breaks the build, not a run. Ids must never change: running workflows and the committed
 * histories in test/histories/ carry them. Deterministic code only (the workflow bundle loads it).
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventProperties } from '../domain/events';
import type { EventProperties as EventValues, JourneyEvent } from '../domain/flow/event-match';
import type { SendEmailStep, Plan } from '../domain/flow/plan';
import type { Spread } from './campaign-start';
import type * as registered from './index';

/** Every workflow the worker registers (workflows/index.ts), by the name a client starts it with. */
export type Workflows = typeof registered;
export type WorkflowName = keyof Workflows;

// ---- campaign: one per run ---------------------------------------------------------------------

export interface CampaignInput {
  runId: string;
  plan: Plan;
  /** 'all': page every contact in; 'contacts': the run's recipients were written when it was started. */
  audience: 'all' | 'contacts';
  /** A scheduled run: the campaign waits (a durable timer) until this time (ms since the epoch) before anyone is enrolled or sent. */
  startAt?: number;
  /** Spread the first Send steps' sends evenly over this many hours from the start. */
  spreadHours?: number;
  /** Carried across continue-as-new. */
  carried?: CampaignState;
}

export interface CampaignState {
  /** For Randomize: each contact's draw derives from this and its id (replay- and retry-safe). */
  seed: number;
  startedAt: number;
  /** While the run waits for its scheduled start: when it starts (a reschedule moves it). Absent once it started. */
  startAt?: number;
  /** The cap on the first sends of a spread start, once the audience is counted. */
  spread?: Spread;
  /** Audience paging: the last contact id enrolled, or null once everyone is in. */
  cursor: string | null;
  batches: number;
  paused: boolean;
  cancelled: boolean;
  sent: number;
  failed: number;
  handedOff: number;
  uncertain: number;
}

export interface CampaignResult {
  status: 'completed' | 'cancelled';
  sent: number;
  failed: number;
  handedOff: number;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
/** A recipient's retry workflow settled it, or a person resent held recipients: look again at what is due. */
export const wakeSignal = defineSignal('wake');
/** A scheduled run's new start time (ms since the epoch); ignored once the run has started. */
export const rescheduleSignal = defineSignal<[number]>('reschedule');
export const stateQuery = defineQuery<CampaignState>('state');
/** What a person may do to a running campaign (the run page's buttons), as the signal that does it. */
export const runControlSignals = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal } as const;

/** Deterministic: one campaign workflow per run. */
export const campaignWorkflowId = (runId: string) => `campaign:${runId}`;

// ---- journey: one contact through a plan -------------------------------------------------------

export interface JourneyInput {
  plan: Plan;
  runId: string;
  contactId: string;
  /** The values of the API event that started the journey, its attributes and properties (a goal's or Wait until's `sameAsEntry` filters compare with them). */
  entryEvent?: EventValues;
  /** The properties of the API event that started it (`{{ event.<name> }}` in its emails); absent for other journeys. */
  event?: EventProperties;
  /** A date Trigger's journey is started ahead: it sleeps until this moment (ms since the epoch) before its first step. */
  startAt?: number;
}

export interface JourneyResult {
  /** converted: the flow's goal event came, and ended the journey at `nodeId`. */
  status: 'completed' | 'failed' | 'converted';
  /** The node the journey ended at. */
  nodeId: string;
  sent: number;
  error?: string;
}

/** An API event for the journey's contact: it may reach the flow's goal or end a Wait until. */
export const journeyEventSignal = defineSignal<[JourneyEvent]>('event');

/**
 * An event's journey: one per flow, contact and idempotency key. The key may be long or odd, so the
 * caller hashes it (SHA-256, base64url: the workflow bundle has no crypto) and its first 22 characters count.
 */
export const eventWorkflowId = (flowId: string, contactId: string, keyHash: string) => `event:${flowId}:${contactId}:${keyHash.slice(0, 22)}`;

/** A list's journey: one per flow, contact and joining (once ever: one per flow and contact); `keyHash` as for events. */
export const listWorkflowId = (flowId: string, contactId: string, keyHash: string) => `list:${flowId}:${contactId}:${keyHash.slice(0, 22)}`;

/** A date Trigger's journey: one per flow, contact and occurrence (the date or its anniversary, YYYY-MM-DD). */
export const dateWorkflowId = (flowId: string, contactId: string, occurrence: string) => `date:${flowId}:${contactId}:${occurrence}`;
/** A segment's journey: one per flow, contact and entering (once ever: one per flow and contact); `keyHash` as for events. */
export const segmentWorkflowId = (flowId: string, contactId: string, keyHash: string) => `segment:${flowId}:${contactId}:${keyHash.slice(0, 22)}`;

/** The contact entered this segment (its id): a journey whose goal it is ends, converted. */
export const journeySegmentSignal = defineSignal<[string]>('segmentEntered');

/**
 * The one workflow that looks for contacts entering segments (changed contacts every few seconds, every
 * contact on a schedule), per task queue: workers moved to another queue start their own.
 */
export const segmentCheckWorkflowId = (taskQueue: string) => `segment-check:${taskQueue}`;
export interface SegmentCheckInput {
  /** How often the contacts changed since the last look are checked; default 10 s. */
  checkEverySeconds?: number;
  /** How often every contact is checked (rules on time, changes no one noted); default 300 s. */
  scanEverySeconds?: number;
  /** When the next look at every contact is due (carried over a continue-as-new), ms since the epoch. */
  nextScanAt?: number;
}

/** An agent's one-off message to a contact (its runId is the direct send's id). */
export const oneOffWorkflowId = (contactId: string, runId: string) => `one-off:${contactId}:${runId}`;
export const isOneOffWorkflowId = (workflowId: string) => workflowId.startsWith('one-off:');

/** Deterministic: the same flow version, contact and trigger key always name one journey (journeys started directly). */
export const journeyWorkflowId = (flowId: string, version: number, contactId: string, triggerKey: string) =>
  `journey:${flowId}:v${version}:${contactId}:${triggerKey}`;

// ---- date trigger: one per flow whose Trigger is a date attribute ------------------------------

export interface DateTriggerInput {
  flowId: string;
  /** The start of the next period to look at (ms since the epoch); absent on the first start: now. Carried across continue-as-new. */
  from?: number;
}

export interface DateTriggerResult {
  /** The flow was archived, deleted or its Trigger is no longer a date: nothing more to start. */
  status: 'stopped';
}

/** Deterministic: one date trigger per flow, started again (by the worker) once it stopped and the flow is date-triggered again. */
export const dateTriggerWorkflowId = (flowId: string) => `date-trigger:${flowId}`;

// ---- recipient retry: one recipient whose send still failed after its batch's quick retries -----

export interface RetryInput {
  runId: string;
  nodeId: string;
  contactId: string;
  step: SendEmailStep;
  /** The campaign to wake once the recipient is settled. */
  campaignWorkflowId: string;
}

export type RetryOutcome = 'sent' | 'failed' | 'held' | 'skipped';

export interface RetryResult {
  outcome: RetryOutcome;
  error?: string;
}

/** Deterministic: one retry workflow per recipient and Send step of a run. */
export const retryWorkflowId = (runId: string, nodeId: string, contactId: string) => `retry:${runId}:${nodeId}:${contactId}`;

// ---- search attributes: how Temporal's Web UI lists a run's retries and journeys -----------------

/**
 * Set on retry and journey workflows as they start (run, flow, contact) and when they end (outcome), so
 * the Web UI's list can ask e.g. `DriplineRun = "…" AND DriplineOutcome = "failed"`. Each must be registered
 * on the namespace first (Keyword): `npm start` and the tests do it; a production cluster's operator does
 * (docs/production.md). The names never change: workflows carry them.
 */
export const runAttribute = defineSearchAttributeKey('DriplineRun', SearchAttributeType.KEYWORD);
export const flowAttribute = defineSearchAttributeKey('DriplineFlow', SearchAttributeType.KEYWORD);
export const contactAttribute = defineSearchAttributeKey('DriplineContact', SearchAttributeType.KEYWORD);
export const outcomeAttribute = defineSearchAttributeKey('DriplineOutcome', SearchAttributeType.KEYWORD);
/** What the dev server registers (`--search-attribute Name=Keyword`) and an operator creates. */
export const SEARCH_ATTRIBUTES = [runAttribute, flowAttribute, contactAttribute, outcomeAttribute].map((k) => k.name);

/** The attributes a recipient's workflow starts with. */
export function recipientAttributes(a: { runId: string; flowId: string; contactId: string }): SearchAttributePair[] {
  return [
    { key: runAttribute, value: a.runId },
    { key: flowAttribute, value: a.flowId },
    { key: contactAttribute, value: a.contactId },
  ];
}

// ---- contact import: one per CSV import (its input is the import's id) -------------------------

export interface ContactImportResult {
  rowsDone: number;
}

/** One job per import: a second start is a no-op. */
export const importWorkflowId = (importId: string) => `import:${importId}`;
