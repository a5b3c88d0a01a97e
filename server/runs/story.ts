/**
 * A recipient's story in one run, as the app tells it: when and how they entered, each wait with the
 * length drawn and when it was due, when a Send window opened for them, each branch with the rule (or the
 * draw) that chose it, each delivery attempt with the server's reply and what to do about it, webhook
 * calls, and the retry workflow that holds their send in Temporal. 404 unless the actor may see the run.
 */
import { getSmtpProfile } from '../db/smtp-profiles';
import type { Plan } from '../../domain/flow/plan';
import { describeTest, OTHERWISE } from '../../domain/flow/nodes/condition';
import { waitUntilOutputs } from '../../domain/flow/nodes/wait-until';
import { WEBHOOK_OUTPUTS } from '../../domain/flow/nodes/webhook';
import { stepTitle } from '../../domain/flow/step-title';
import { failureClassOf } from '../../domain/delivery-log';
import type { Db } from '../db';
import type { DeliveryAttempt } from '../db/deliveries';
import {
  contactShown,
  type RecipientEvent,
  recipientAttempts,
  recipientEvents,
  recipientWebhookCalls,
  runRecipientRow,
} from '../db/recipient-events';
import { type Run, type RunAudience, runPlan } from '../db/runs';
import { UserError } from '../errors';
import { visibleRun } from '../access';
import type { Actor } from '../profiles';
import { recipientMove, type RecipientMove } from './report';

export interface StoryEntry {
  /** ISO time it happened. */
  at: string;
  kind: 'entered' | 'delay' | 'window' | 'branch' | 'attempt' | 'webhook' | 'wait';
  /** The step by its title, as the canvas names it (null for entering the run). */
  step: string | null;
  /** What happened, in a sentence. */
  text: string;
  /** An attempt's SMTP code and reply, and what to do about it. */
  reply?: { code: number | null; text: string; advice: string };
  /** The Temporal workflow that made this attempt (the campaign's, or the recipient's own retry workflow). */
  workflowId?: string;
}

export interface RecipientStory {
  run: Run;
  contactId: string;
  email: string | null;
  name: string | null;
  /** Where they are now, as the run page says it. */
  now: RecipientMove;
  entries: StoryEntry[];
  /** Their own retry workflow in Temporal, if their send was handed off to one. */
  retryWorkflowId: string | null;
}

export async function recipientStory(db: Db, actor: Actor, runId: string, contactId: string): Promise<RecipientStory> {
  const run = await visibleRun(db, actor, runId);
  const row = await runRecipientRow(db, runId, contactId);
  if (!row) throw new UserError(404, 'recipient_not_found', `contact "${contactId}" is not a recipient of run "${runId}"`);
  const plan = await runPlan(db, runId);
  const title = (nodeId: string) => stepTitle(plan?.steps[nodeId], nodeId);
  const [events, attempts, calls, contact] = await Promise.all([
    recipientEvents(db, runId, contactId),
    recipientAttempts(db, runId, contactId),
    recipientWebhookCalls(db, runId, contactId),
    contactShown(db, contactId),
  ]);
  const senders = new Map<string, string>();
  for (const id of new Set(attempts.flatMap((a) => (a.profileId ? [a.profileId] : [])))) {
    senders.set(id, (await getSmtpProfile(db, id))?.name ?? id);
  }
  const entered: StoryEntry = {
    at: run.startAt ?? run.createdAt,
    kind: 'entered',
    step: null,
    text: `Entered the run: ${audienceText(run.audience)}.`,
  };
  const entries: StoryEntry[] = [
    ...events.map((e) => eventEntry(plan, e, title)),
    ...attempts.map((a) => attemptEntry(a, title, a.profileId ? senders.get(a.profileId) : undefined)),
    ...calls.map(
      (c): StoryEntry => ({
        at: c.at,
        kind: 'webhook',
        step: title(c.nodeId),
        text: `Webhook call #${c.attempt}: ${c.outcome}${c.status === null ? '' : ` (HTTP ${c.status})`}${c.detail ? `, ${c.detail}` : ''}.`,
      }),
    ),
  ];
  // By time (stable: events and attempts at the same ms keep their own order), after entering the run.
  entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  entries.unshift(entered);
  const retry = [...attempts].reverse().find((a) => a.workflowId.startsWith('retry:'))?.workflowId;
  return {
    run,
    contactId,
    email: contact?.email ?? null,
    name: contact?.name ?? null,
    now: recipientMove(plan, row, Date.now()),
    entries,
    retryWorkflowId: retry ?? (row.workflowId.startsWith('retry:') ? row.workflowId : null),
  };
}

function audienceText(audience: RunAudience): string {
  switch (audience.kind) {
    case 'all':
      return 'everyone subscribed';
    case 'list':
      return `a member of list ${audience.listId}`;
    case 'segment':
      return `in segment ${audience.segmentId} when the run started`;
    case 'contacts':
      return 'named when the run was started';
    case 'resend':
      return `resent from run ${audience.sourceRunId} (${audience.sets.join(', ')})`;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
/** A time in a sentence, as the app shows times: 2026-12-07 07:50:57 UTC. */
export const when = (ms: number) => `${iso(ms).slice(0, 19).replace('T', ' ')} UTC`;

function eventEntry(plan: Plan | undefined, e: RecipientEvent, title: (nodeId: string) => string): StoryEntry {
  const base = { at: iso(e.at), step: title(e.nodeId) };
  if (e.kind === 'delay') {
    const step = plan?.steps[e.nodeId];
    const drawn = step?.type === 'delay' && step.minMs !== step.maxMs ? ` (drawn between ${duration(step.minMs)} and ${duration(step.maxMs)})` : '';
    return { ...base, kind: 'delay', text: `Waited ${duration(e.waitedMs ?? 0)}${drawn}, due ${when(e.dueAt)}.` };
  }
  if (e.kind === 'window') {
    const opens = e.windowOpensAt ?? e.dueAt;
    const at = opens <= e.at ? 'was open' : `opened at ${when(opens)}`;
    return { ...base, kind: 'window', text: `The send window ${at}; due ${when(e.dueAt)}.` };
  }
  if (e.kind === 'wait') return { ...base, kind: 'wait', text: `Began waiting, at most ${duration(e.waitedMs ?? 0)}, until ${when(e.dueAt)}.` };
  return { ...base, kind: 'branch', text: `${branchText(plan, e)}; went on to ${e.nextNodeId ? title(e.nextNodeId) : 'the end'}.` };
}

/** The rule that chose the branch (a Condition), or the draw (an A/B split). */
function branchText(plan: Plan | undefined, e: RecipientEvent): string {
  const step = plan?.steps[e.nodeId];
  if (step?.type === 'condition') {
    const hit = step.branches.find((b) => b.id === e.reason);
    if (hit) return `Took branch "${hit.label}": ${describeTest(hit.test, (id) => stepTitle(plan?.steps[id], id))}`;
    if (e.reason === OTHERWISE) return 'Took the Otherwise branch: no rule matched';
  }
  if (step?.type === 'split') {
    const hit = step.branches.find((b) => b.id === e.reason);
    if (hit) return `Drawn into branch "${hit.label}" (${hit.percent}% of recipients)`;
  }
  // A Wait until's or a Webhook's outputs, by the names the canvas gives them.
  const output = step?.type === 'waitUntil' ? waitUntilOutputs(step) : step?.type === 'webhook' ? WEBHOOK_OUTPUTS : [];
  const named = output.find((o) => o.id === e.reason);
  if (named) return `Went down "${named.label}"`;
  return `Took branch ${e.reason ?? '?'}`;
}

/** An attempt, and the profile that made it when the log names one (a Send step may have a pool of them). */
function attemptEntry(a: DeliveryAttempt, title: (nodeId: string) => string, sender?: string): StoryEntry {
  return {
    at: a.at,
    kind: 'attempt',
    step: title(a.nodeId),
    text: `Attempt #${a.attempt}: ${a.outcome.replace('_', ' ')}.${sender ? ` SMTP profile “${sender}”.` : ''}`,
    reply: { code: a.smtpCode, text: a.smtpReply, advice: attemptAdvice(a) },
    workflowId: a.workflowId,
  };
}

/** What a person can do about an attempt's outcome. */
export function attemptAdvice({ outcome, smtpCode }: Pick<DeliveryAttempt, 'outcome' | 'smtpCode'>): string {
  switch (outcome) {
    case 'sent':
      return 'Accepted by the receiving server. A bounce mailed back later is not seen here.';
    case 'skipped':
      return 'Not sent: the contact was unsubscribed or suppressed.';
    case 'frequency_capped':
      return 'Not sent: the contact had reached the frequency cap (Settings).';
    case 'uncertain':
      return 'The outcome is unknown (the connection went mid-send): review it and Resend from the run page.';
    case 'retrying':
    case 'failed': {
      const later = outcome === 'retrying' ? ' Dripline tries again.' : '';
      const cls = failureClassOf(smtpCode);
      if (cls === 'rejected') return `The server refused it for good: check the address, or the reply for a policy block.${later}`;
      if (cls === 'deferred') return `The server asked to try later (greylisting, rate or mailbox full).${later}`;
      return `No reply from the server: check the sender's settings with Test connection.${later}`;
    }
  }
}

/** 90 s → "1 min 30 s"; days, hours, minutes and seconds, largest first. */
export function duration(ms: number): string {
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n} ${unit}`);
  }
  return parts.length === 0 ? `${ms} ms` : parts.join(' ');
}
