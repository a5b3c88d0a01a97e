/**
 * What a run did, as the receiving server saw it: its messages in the sandbox's mailbox (found by the
 * Message-IDs of its send ledger), when each was stored, and the run's delivery log. Plus the wait for
 * a run to end, bounded: a stuck run is an error, never a hang.
 */
import { classifySmtpError } from '../server/smtp/classify';
import { runMessageIds } from '../server/db/deliveries';
import { listRunAttempts } from '../server/db/runs';
import { countSandboxMessages, sandboxReceipts } from '../server/db/sandbox';
import type { Api, RunView } from './api';
import type { Dbs } from './measure';
import type { Progress } from './progress';
import type { Stack } from './stack';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The most timestamps (ms, ascending) in any half-open window [t, t + widthMs). */
export function maxWindow(times: readonly number[], widthMs = 1000): number {
  let best = 0;
  let end = 0;
  for (let start = 0; start < times.length; start++) {
    while (end < times.length && times[end]! < times[start]! + widthMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

/** (count − 1) / (last − first) per second over the timestamps after the first `skipMs`; null with fewer than two. */
export function steadyRate(times: readonly number[], skipMs = 1000): number | null {
  if (times.length === 0) return null;
  const after = times.filter((t) => t >= times[0]! + skipMs);
  if (after.length < 2 || after[after.length - 1]! === after[0]!) return null;
  return (after.length - 1) / ((after[after.length - 1]! - after[0]!) / 1000);
}

export interface Tally {
  recipients: number;
  /** Messages of this run the sandbox stored (a resend of the same Message-ID counts again). */
  messages: number;
  /** Recipients with at least one message stored. */
  delivered: number;
  /** Recipients with no message stored. */
  lost: number;
  /** Messages beyond one per recipient, among recipients whose sends were never uncertain. */
  duplicates: number;
  /** The same among recipients with an uncertain attempt (resent with the same Message-ID, by policy). */
  uncertainDuplicates: number;
  /** Delivery attempts logged 'uncertain', and the recipients they concern. */
  uncertainAttempts: number;
  uncertainRecipients: number;
  attempts: number;
  /** Recipients whose send two attempts both logged as accepted (each thought it sent the message). */
  sentTwice: number;
  /** Attempts answered 454. */
  throttleReplies: number;
  /** Attempts by outcome (sent, retrying, uncertain, failed). */
  outcomes: Record<string, number>;
  /** When each message was stored (ms), ascending. */
  times: number[];
}

/** Counts a run's messages at the sink and its delivery log. */
export async function tallyRun(dbs: Dbs, runId: string, recipients: number): Promise<Tally> {
  const ids = await runMessageIds(dbs.app, runId);
  const receipts = await sandboxReceipts(dbs.sandbox, ids);
  const { items: attempts } = await listRunAttempts(dbs.app, runId, { offset: 0, limit: 10_000_000 });
  const uncertainIds = new Set<string>();
  const outcomes: Record<string, number> = {};
  let uncertainAttempts = 0;
  let throttleReplies = 0;
  const sentBy = new Map<string, number>();
  for (const a of attempts) {
    outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
    if (a.outcome === 'sent') sentBy.set(a.messageId, (sentBy.get(a.messageId) ?? 0) + 1);
    // 454 (a token bucket, as SES) and any other reply about the pace (450 "too much mail", 451 "rate limit").
    if (a.smtpCode === 454 || (a.smtpCode !== null && classifySmtpError({ responseCode: a.smtpCode, response: a.smtpReply }).kind === 'throttled'))
      throttleReplies++;
    if (a.outcome === 'uncertain') {
      uncertainAttempts++;
      uncertainIds.add(a.messageId);
    }
  }
  const perMessage = new Map<string, number>();
  for (const r of receipts) perMessage.set(r.messageId, (perMessage.get(r.messageId) ?? 0) + 1);
  let duplicates = 0;
  let uncertainDuplicates = 0;
  for (const [id, n] of perMessage) {
    if (uncertainIds.has(id)) uncertainDuplicates += n - 1;
    else duplicates += n - 1;
  }
  return {
    recipients,
    messages: receipts.length,
    delivered: perMessage.size,
    lost: recipients - perMessage.size,
    duplicates,
    uncertainDuplicates,
    uncertainAttempts,
    uncertainRecipients: uncertainIds.size,
    attempts: attempts.length,
    sentTwice: [...sentBy.values()].filter((n) => n > 1).length,
    throttleReplies,
    outcomes,
    times: receipts.map((r) => Date.parse(r.receivedAt)),
  };
}

/** How many messages the sandbox stores from now on (all of them: a stack of the bench's own holds one run at a time). */
export class MailboxWatch {
  total = 0;
  private constructor(
    private readonly dbs: Dbs,
    private lastId: number,
  ) {}

  static async start(dbs: Dbs): Promise<MailboxWatch> {
    return new MailboxWatch(dbs, (await countSandboxMessages(dbs.sandbox)).lastId);
  }

  async poll(): Promise<number> {
    const c = await countSandboxMessages(this.dbs.sandbox, this.lastId);
    this.total += c.count;
    this.lastId = c.lastId;
    return this.total;
  }
}

export interface RunEnd {
  status: string | null;
  counts: RunView['counts'] | null;
  error: string | null;
}

export interface AwaitOptions {
  stack: Stack;
  api: Api;
  progress: Progress;
  label: string;
  recipients: number;
  timeoutMs: number;
  /** How often to count the mailbox (ms). */
  pollMs?: number;
  /** Called after each count of the mailbox, with the messages stored so far (to inject a fault mid-run). */
  during?: (stored: number) => Promise<void>;
  /** Not done before this resolves (e.g. a stopped worker resumed and had its say). */
  settled?: () => boolean;
}

/**
 * Waits until the run has ended (completed or cancelled) and the mailbox has been quiet for 2 s, or
 * until the deadline: then the error says where it stood.
 */
export async function awaitRun(watch: MailboxWatch, runId: string, o: AwaitOptions): Promise<RunEnd> {
  const deadline = Date.now() + o.timeoutMs;
  let view: RunView | undefined;
  let lastLook = 0;
  let statusErrors = 0;
  let quietSince = Date.now();
  let seen = watch.total;
  o.progress.start(o.label, o.recipients);
  try {
    for (;;) {
      if (!o.stack.running) throw new Error('the stack exited during the run');
      const stored = await watch.poll();
      if (stored !== seen) {
        seen = stored;
        quietSince = Date.now();
      }
      await o.during?.(stored);
      if (Date.now() - lastLook >= 1000) {
        lastLook = Date.now();
        try {
          view = await o.api.getRun(runId);
          statusErrors = 0;
        } catch (err) {
          // A slow answer under load is not a failed run; many in a row are.
          if (++statusErrors >= 10) throw err;
        }
      }
      const ended = view !== undefined && view.run.status !== 'running' && view.run.status !== 'paused';
      o.progress.update(Math.min(stored, o.recipients), view ? `run ${view.run.status}, ${JSON.stringify(view.counts)}` : '');
      if (ended && Date.now() - quietSince >= 2000 && (o.settled?.() ?? true)) break;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${o.timeoutMs / 1000} s: ${stored} messages stored; run ${view?.run.status} ${JSON.stringify(view?.counts)}`,
        );
      await sleep(o.pollMs ?? 200);
    }
    o.progress.done(`run ${view?.run.status}`);
    return { status: view?.run.status ?? null, counts: view?.counts ?? null, error: null };
  } catch (err) {
    o.progress.done(`ERROR: ${errorText(err)}`);
    return { status: view?.run.status ?? null, counts: view?.counts ?? null, error: errorText(err) };
  }
}

/** A fixed-width table of strings, right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
