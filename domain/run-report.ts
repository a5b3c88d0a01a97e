/**
 * The report of a run (or of a flow version's journeys) from its counts: sends per minute and the states
 * over time, and each step's figures for the canvas. Pure: the server counts, the page draws.
 */
import { nextsOf, type Plan } from './flow/plan';

/** A count of one minute (ISO, to the minute: "2026-01-01T10:04") at one step: a delivery outcome, 'throttled', or 'moved:<next step>'. */
export interface MinuteCount {
  minute: string;
  nodeId: string;
  what: string;
  n: number;
}

/** Where recipients are now: at a step (null once they left the flow) in a state; 'waiting' is pending and due later. */
export interface Position {
  nodeId: string | null;
  state: 'waiting' | 'due' | 'sending' | 'retrying' | 'held' | 'completed' | 'failed' | 'cancelled' | 'journey' | 'skipped';
  n: number;
}

/** One bar of the chart: messages a minute over `minutes` minutes from `minute`. */
export interface SendsPoint {
  minute: string;
  /** How many minutes the bar covers (a long run's minutes are grouped so that the chart keeps its width). */
  minutes: number;
  sent: number;
  failed: number;
  /** Replies asking to slow down (each retried later). */
  throttled: number;
  /** Totals since the start, at the bar's end. */
  delivered: number;
  failedSoFar: number;
}

export interface OverTime {
  points: SendsPoint[];
  /** The most bars a chart shows; longer runs group their minutes. */
  maxBars: number;
}

const MINUTE = 60_000;
export const minuteKey = (ms: number) => new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString().slice(0, 16);
const minuteMs = (key: string) => Date.parse(`${key}:00Z`);

/** The minutes from the first count to the last, grouped into at most `maxBars` bars, each with totals so far. */
export function overTime(counts: readonly MinuteCount[], maxBars = 120): OverTime {
  const byMinute = new Map<number, { sent: number; failed: number; throttled: number }>();
  for (const c of counts) {
    const field = c.what === 'sent' ? 'sent' : c.what === 'failed' ? 'failed' : c.what === 'throttled' ? 'throttled' : null;
    if (!field) continue;
    const at = minuteMs(c.minute);
    const m = byMinute.get(at) ?? { sent: 0, failed: 0, throttled: 0 };
    m[field] += c.n;
    byMinute.set(at, m);
  }
  if (byMinute.size === 0) return { points: [], maxBars };
  const first = Math.min(...byMinute.keys());
  const last = Math.max(...byMinute.keys());
  const span = (last - first) / MINUTE + 1;
  const width = Math.ceil(span / maxBars);
  const points: SendsPoint[] = [];
  let delivered = 0;
  let failedSoFar = 0;
  for (let start = first; start <= last; start += width * MINUTE) {
    const point = { minute: minuteKey(start), minutes: width, sent: 0, failed: 0, throttled: 0, delivered: 0, failedSoFar: 0 };
    for (let at = start; at < start + width * MINUTE && at <= last; at += MINUTE) {
      const m = byMinute.get(at);
      if (!m) continue;
      point.sent += m.sent;
      point.failed += m.failed;
      point.throttled += m.throttled;
    }
    delivered += point.sent;
    failedSoFar += point.failed;
    points.push({ ...point, delivered, failedSoFar });
  }
  return { points, maxBars };
}

/** A step's figures on the canvas. */
export interface StepFigures {
  /** Recipients that reached the step. */
  entered: number;
  /** Went on to a next step (a Send: its message was accepted). */
  movedOn: number;
  /** Still here: due, sending, retrying, or waiting out a Delay or Send window. */
  waiting: number;
  failed: number;
  held: number;
  /** Left the flow here unsent: unsubscribed, suppressed or frequency capped. */
  skipped: number;
  /** Attempts whose outcome is unknown (stopped after the message's data). */
  uncertain: number;
}

export interface StepReport {
  steps: Record<string, StepFigures>;
  /** Recipients along each connection, by "<from>→<to>" (from '' for the trigger's). */
  edges: Record<string, number>;
}

export const edgeKey = (from: string, to: string) => `${from}→${to}`;

/**
 * Each step's figures from where recipients are now and what was counted per step: a Delay or Send window
 * counts those it put off (who wait there now are pending at the step after it), a Condition or A/B split
 * each branch it chose, a Send the messages accepted; an Exit what reached it.
 */
export function stepReport(plan: Plan, positions: readonly Position[], counts: readonly MinuteCount[]): StepReport {
  const steps: Record<string, StepFigures> = {};
  for (const id of Object.keys(plan.steps)) steps[id] = { entered: 0, movedOn: 0, waiting: 0, failed: 0, held: 0, skipped: 0, uncertain: 0 };
  // Pending recipients due later wait in the Delay or Send window before their step, when it has exactly one.
  const putOffBy = new Map<string, string[]>();
  for (const [id, step] of Object.entries(plan.steps)) {
    if (step.type === 'delay' || step.type === 'sendWindow') putOffBy.set(step.next, [...(putOffBy.get(step.next) ?? []), id]);
  }
  let total = 0;
  for (const p of positions) {
    total += p.n;
    if (p.nodeId === null) continue;
    const waitedIn = p.state === 'waiting' && putOffBy.get(p.nodeId)?.length === 1 ? putOffBy.get(p.nodeId)![0]! : p.nodeId;
    const s = steps[waitedIn];
    if (!s) continue;
    if (p.state === 'failed') s.failed += p.n;
    else if (p.state === 'held') s.held += p.n;
    else if (p.state === 'skipped') s.skipped += p.n;
    else if (p.state === 'waiting' || p.state === 'due' || p.state === 'sending' || p.state === 'retrying') s.waiting += p.n;
  }
  const moved = new Map<string, number>();
  for (const c of counts) {
    const s = steps[c.nodeId];
    if (!s) continue;
    if (c.what === 'sent') s.movedOn += c.n;
    else if (c.what === 'uncertain') s.uncertain += c.n;
    else if (c.what.startsWith('moved:')) {
      const key = edgeKey(c.nodeId, c.what.slice('moved:'.length));
      moved.set(key, (moved.get(key) ?? 0) + c.n);
    }
  }
  const edges: Record<string, number> = { [edgeKey('', plan.entry)]: total };
  for (const [id, step] of Object.entries(plan.steps)) {
    const s = steps[id]!;
    const outs = nextsOf(step);
    if (step.type === 'sendEmail') {
      s.entered = s.movedOn + s.waiting + s.failed + s.held + s.skipped;
    } else if (outs.length === 1) {
      // A Delay or Send window counts each recipient it put off as it entered (its wait drawn).
      s.entered = [...moved.entries()].filter(([k]) => k.startsWith(edgeKey(id, ''))).reduce((n, [, v]) => n + v, 0);
      s.movedOn = Math.max(0, s.entered - s.waiting);
    } else if (outs.length > 1) {
      for (const next of outs) edges[edgeKey(id, next)] = moved.get(edgeKey(id, next)) ?? 0;
      s.movedOn = outs.reduce((n, next) => n + (moved.get(edgeKey(id, next)) ?? 0), 0);
      s.entered = s.movedOn + s.waiting + s.failed + s.held + s.skipped;
    }
    if (outs.length === 1) edges[edgeKey(id, outs[0]!)] = s.movedOn;
  }
  // An Exit is reached by what its connections carried.
  for (const [id, step] of Object.entries(plan.steps)) {
    if (step.type !== 'exit') continue;
    const s = steps[id]!;
    s.entered = Object.entries(edges).reduce((n, [k, v]) => (k.endsWith(`→${id}`) ? n + v : n), 0);
    s.movedOn = s.entered;
  }
  return { steps, edges };
}

/**
 * A flow version's journeys per step: only its Send steps are counted (a journey's other moves are in its own
 * workflow's history), from their delivery outcomes, with the journeys started along the trigger's connection.
 */
export function journeyStepReport(plan: Plan, counts: readonly Omit<MinuteCount, 'minute'>[], started: number): StepReport {
  const positions: Position[] = [];
  for (const c of counts) {
    if (c.what === 'failed') positions.push({ nodeId: c.nodeId, state: 'failed', n: c.n });
    if (c.what === 'skipped' || c.what === 'frequency_capped') positions.push({ nodeId: c.nodeId, state: 'skipped', n: c.n });
  }
  const all = stepReport(
    plan,
    positions,
    counts.map((c) => ({ ...c, minute: '' })),
  );
  const sends = new Set(Object.entries(plan.steps).flatMap(([id, step]) => (step.type === 'sendEmail' ? [id] : [])));
  const edges = Object.fromEntries(Object.entries(all.edges).filter(([key]) => sends.has(key.split('→')[0]!)));
  return {
    steps: Object.fromEntries(Object.entries(all.steps).filter(([id]) => sends.has(id))),
    edges: { ...edges, [edgeKey('', plan.entry)]: started },
  };
}
