/**
 * The public side of opens and clicks (the routes /t/o/<token>.gif and /t/c/<token>, no sign-in): each
 * verified token is recorded as an open or a click, flagged as a machine's where it looks like one
 * (server/tracking.ts, `isMachine`). Recording is rate-limited per client address; the reader gets their
 * pixel and their redirect either way, and a token that does not verify records nothing.
 */
import { visibleFlow, visibleRun } from './access';
import type { Db } from './db';
import { engagementCounts, flowTracking, recordTrackingEvent, type StepEngagement, sentAt, setFlowTracking } from './db/tracking';
import type { Actor } from './profiles';
import { RateLimit } from './rate-limits';
import { isMachine, type TrackingToken, verifyTrackingToken } from './tracking';

/** 600 recorded a minute per client address: a person never comes near it, a flood of fetches stops being counted. */
export const trackingLimit = new RateLimit('tracking', 600, 60_000, 'Opens and clicks');

async function record(db: Db, token: TrackingToken, userAgent: string, client: string): Promise<void> {
  const allowed = await trackingLimit.take(db, client || 'unknown').then(
    () => true,
    () => false,
  );
  if (!allowed) return;
  const at = Date.now();
  const { runId, nodeId, contactId } = token;
  const agent = userAgent.slice(0, 500);
  await recordTrackingEvent(db, {
    kind: token.kind,
    runId,
    nodeId,
    contactId,
    linkIndex: token.kind === 'click' ? token.linkIndex : -1,
    url: token.kind === 'click' ? token.url : '',
    at,
    userAgent: agent,
    machine: isMachine(token.kind, agent, at, await sentAt(db, token)) ? 1 : 0,
  });
}

/** The pixel was fetched: recorded when its token verifies. */
export async function recordOpen(db: Db, secrets: Buffer[], token: string, userAgent: string, client: string): Promise<void> {
  const open = verifyTrackingToken(secrets, 'open', token.replace(/\.gif$/, ''));
  if (open) await record(db, open, userAgent, client);
}

/** A tracked link was followed: the address it stands for (recorded), or null for a token that does not verify (never a redirect). */
export async function recordClick(db: Db, secrets: Buffer[], token: string, userAgent: string, client: string): Promise<string | null> {
  const click = verifyTrackingToken(secrets, 'click', token);
  if (!click) return null;
  await record(db, click, userAgent, client);
  return click.url;
}

/** Whether the flow tracks opens and clicks, for who may see it (its owner, admins; 404 otherwise). */
export async function flowTrackingAs(db: Db, actor: Actor, flowId: string): Promise<boolean> {
  await visibleFlow(db, actor, flowId);
  return flowTracking(db, flowId);
}

/** Switches opens and clicks on or off for the flow's messages from now on: its owner and admins only. */
export async function setFlowTrackingAs(db: Db, actor: Actor, flowId: string, on: boolean): Promise<void> {
  await visibleFlow(db, actor, flowId);
  await setFlowTracking(db, flowId, on);
}

/** The run's opens and clicks per Send step and link, for who may see the run (404 otherwise). */
export async function runEngagementAs(db: Db, actor: Actor, runId: string): Promise<StepEngagement[]> {
  await visibleRun(db, actor, runId);
  return engagementCounts(db, runId);
}
