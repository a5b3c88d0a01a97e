/**
 * Contacts entering segments: the segment check workflow (workflows/segment-check.ts) calls these
 * through its activities. `checkChangedContacts` looks at the contacts changed since it last looked
 * (noted with each change: the contact page, the API, events, imports), `scanSegments` at every contact,
 * a page at a time, on a schedule (rules that change with time; a change no one noted). Entries start
 * their journeys through the list trigger's outbox (server/list-entries.ts); a contact entering a segment
 * that is the goal of one of their running journeys ends it, converted.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { journeySegmentSignal } from '../workflows/contracts';
import type { Db } from './db';
import { contactMatchesFilter } from './db/contact-filter';
import { recentContactEntries } from './db/event-entries';
import { getFlowVersion } from './db/flows';
import {
  changedContacts,
  lookAndEnter,
  markWatchReady,
  type SegmentFlow,
  segmentFlows,
  settleChangedContacts,
  syncWatches,
  watchesReady,
} from './db/segment-entries';
import { getSegment, type Segment } from './db/segments';
import { JOURNEYS_SIGNALLED } from './journey-events';
import { startListEntries } from './list-entries';
import { log } from './log';

export interface SegmentChecker {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** How many changed contacts are looked at together, and how many contacts a scan looks at per call. */
const CHANGED_AT_ONCE = 500;
const SCAN_PAGE = 1000;
const SCAN_PAGES_PER_CALL = 5;

/** Each flow that enters on a segment, with the segment's rules (a deleted segment: the flow is skipped, with a warning). */
async function enteringFlows(db: Db, flows: SegmentFlow[]): Promise<{ flow: SegmentFlow & { segmentId: string }; segment: Segment }[]> {
  const found = [];
  for (const flow of flows) {
    if (!flow.segmentId) continue;
    const segment = await getSegment(db, flow.segmentId);
    if (segment) found.push({ flow: { ...flow, segmentId: flow.segmentId }, segment });
    else {
      log.warn({ flowId: flow.flowId, segmentId: flow.segmentId }, "a flow's Trigger names a segment that was deleted: no one enters it");
      // Nothing to take a first look at.
      await markWatchReady(db, flow.flowId);
    }
  }
  return found;
}

/**
 * Looks at the contacts changed since the last look; returns how many were looked at, how many journeys
 * started, and whether a flow published since waits for its first look (the workflow then scans at once).
 */
export async function checkChangedContacts(
  checker: SegmentChecker,
  onProgress?: () => void,
): Promise<{ checked: number; started: number; firstLookDue: boolean }> {
  const { db } = checker;
  await syncWatches(db, await segmentFlows(db));
  let checked = 0;
  for (;;) {
    const changed = await changedContacts(db, CHANGED_AT_ONCE);
    if (changed.length === 0) break;
    const ids = changed.map((c) => c.contactId);
    const ready = await watchesReady(db);
    // A flow still taking its first look remembers these contacts as it finds them: none has entered it yet.
    for (const { flow, segment } of await enteringFlows(db, await segmentFlows(db)))
      if (ready.get(flow.flowId)) await lookAndEnter(db, flow, segment.filter, { ids }, { firstLook: false });
    for (const id of ids) await signalSegmentGoals(checker, id);
    await settleChangedContacts(db, changed);
    checked += changed.length;
    onProgress?.();
  }
  const { started } = await startListEntries(checker, { ...(onProgress ? { onProgress } : {}) });
  return { checked, started, firstLookDue: [...(await watchesReady(db)).values()].some((ready) => !ready) };
}

/** Where a scan of every contact goes on from: the flow (in flow id order) and the last contact looked at. */
export interface ScanCursor {
  flowId: string;
  after: string;
}

/**
 * Looks at every contact for each flow entering on a segment, a few pages per call: returns where the
 * next call goes on, or null once every flow was looked at (then the entries' journeys are started).
 * A flow's first pass remembers who is in its segment without entering them.
 */
export async function scanSegments(checker: SegmentChecker, cursor: ScanCursor | null, onProgress?: () => void): Promise<ScanCursor | null> {
  const { db } = checker;
  const flows = await segmentFlows(db);
  if (cursor === null) await syncWatches(db, flows);
  const ready = await watchesReady(db);
  const entering = (await enteringFlows(db, flows)).filter(({ flow }) => cursor === null || flow.flowId >= cursor.flowId);
  let pages = 0;
  for (const { flow, segment } of entering) {
    let after = cursor !== null && flow.flowId === cursor.flowId ? cursor.after : '';
    const firstLook = !ready.get(flow.flowId);
    for (;;) {
      if (pages++ === SCAN_PAGES_PER_CALL) return { flowId: flow.flowId, after };
      const { looked, entered } = await lookAndEnter(db, flow, segment.filter, { after, limit: SCAN_PAGE }, { firstLook });
      if (entered > 0) log.info({ flowId: flow.flowId, entered }, 'contacts entered a segment a flow starts on');
      onProgress?.();
      if (looked.length < SCAN_PAGE) break;
      after = looked.at(-1)!;
    }
    if (firstLook) await markWatchReady(db, flow.flowId);
  }
  await startListEntries(checker, { ...(onProgress ? { onProgress } : {}) });
  return null;
}

/**
 * Goal and exit on a segment: each of the contact's running journeys (their newest entries) whose goal
 * is a segment they are in now is told so, and ends converted. Returns how many were told.
 */
export async function signalSegmentGoals(checker: SegmentChecker, contactId: string): Promise<number> {
  const { db, temporal } = checker;
  const goals = new Map<string, string | undefined>();
  const inSegment = new Map<string, boolean>();
  let signalled = 0;
  for (const entry of await recentContactEntries(db, contactId, JOURNEYS_SIGNALLED)) {
    const key = `${entry.version}:${entry.flowId}`;
    if (!goals.has(key)) goals.set(key, (await getFlowVersion(db, entry.flowId, entry.version))?.plan.goalSegment);
    const segmentId = goals.get(key);
    if (!segmentId) continue;
    if (!inSegment.has(segmentId)) {
      const segment = await getSegment(db, segmentId);
      inSegment.set(segmentId, segment !== undefined && (await contactMatchesFilter(db, contactId, segment.filter)) === true);
    }
    if (!inSegment.get(segmentId)) continue;
    try {
      await temporal.workflow.getHandle(entry.workflowId).signal(journeySegmentSignal, segmentId);
      signalled++;
    } catch (err) {
      // The journey has ended (or never started): nothing to tell it.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return signalled;
}
