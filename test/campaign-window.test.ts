/**
 * A campaign through a Send window on a real Temporal server and a real SMTP server: the cohort gives
 * each contact a due time in the window of their own time zone (or the node's), checked here with a
 * formatter of the test's own. The zones are chosen from the clock when the test runs: one where the
 * window is open now, one where it is shut, plus New York and Tokyo as they are.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendWindowData } from '../domain/flow/nodes/send-window';
import type { FlowGraph } from '../domain/flow/schema';
import { updateContact } from '../server/db/contacts';
import { listRunRecipients } from '../server/db/runs';
import { controlRun } from '../server/runs/control';
import { campaignEnv, type CampaignEnv, until } from './campaign-env';

let env: CampaignEnv;
const HOUR = 3_600_000;

/** An Etc zone (fixed offset, no DST) whose clock reads an hour in [lo, hi) now and for the next hours. */
function zoneAt(lo: number, hi: number): string {
  for (let offset = -12; offset <= 14; offset++) {
    const hour = (new Date().getUTCHours() + offset + 24) % 24;
    // Etc/GMT-3 is UTC+3: the sign is POSIX's, the opposite of the offset.
    if (hour >= lo && hour < hi) return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  }
  throw new Error(`no zone reads ${lo}:00–${hi}:00 now`);
}
const OPEN = zoneAt(10, 12);
const SHUT = zoneAt(1, 3);
const ZONES: Record<string, string | undefined> = { open: OPEN, nyc: 'America/New_York', tokyo: 'Asia/Tokyo', shut: SHUT };
const groupOf = (contactId: string) => Object.keys(ZONES)[Number(contactId.slice(-2)) % 4] as keyof typeof ZONES;

const window: SendWindowData = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
  from: '09:00',
  to: '17:00',
  timeZone: SHUT,
  randomize: false,
};
const flow = (data: SendWindowData): FlowGraph => ({
  schemaVersion: 1,
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
    { id: 'hours', type: 'sendWindow', position: { x: 0, y: 100 }, data },
    { id: 'send', type: 'sendEmail', position: { x: 0, y: 200 }, data: { profileId: 'sandbox', subject: 'Hi {{name}}', text: 'Hello' } },
    { id: 'end', type: 'exit', position: { x: 0, y: 300 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'hours' },
    { id: 'e2', source: 'hours', target: 'send' },
    { id: 'e3', source: 'send', target: 'end' },
  ],
});

/** The zone's clock at t, read by the test's own formatter: inside 09:00–17:00 (every day)? */
function insideWindow(t: number, zone: string): boolean {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  return minutes >= 9 * 60 && minutes < 17 * 60;
}

beforeAll(async () => {
  env = await campaignEnv({ contacts: 40, taskQueue: 'campaign-window-test', inProcessWorker: true });
  for (let n = 0; n < 40; n++) {
    const id = `ct_${String(n).padStart(6, '0')}`;
    const zone = ZONES[groupOf(id)];
    if (zone) await updateContact(env.db, id, { attributes: { timezone: zone } });
  }
});
afterAll(async () => env?.close());

async function recipients(runId: string) {
  return (await listRunRecipients(env.db, runId, { offset: 0, limit: 100 })).items;
}
/** The zone a recipient's window is read in: their own, else the node's. */
const zoneOf = (contactId: string) => (contactId.startsWith('ct_0000') ? (ZONES[groupOf(contactId)] ?? SHUT) : SHUT);

describe('a campaign through a Send window', () => {
  it(`sends now to contacts whose window is open (${OPEN}), and gives everyone else the opening of their own window`, async () => {
    const before = env.received.length;
    const startedAt = Date.now();
    // New York and Tokyo are open or shut depending on when the test runs: whichever they are now.
    const openNow = (contactId: string) => insideWindow(startedAt, zoneOf(contactId));
    const { runId, handle } = await env.run('window-cohort', flow(window));
    await until('everyone enrolled', async () => (await recipients(runId)).length === 43);
    const all = await recipients(runId);
    const open = new Set(all.filter((r) => openNow(r.id)).map((r) => r.email));
    expect(open.size).toBeGreaterThanOrEqual(10);
    await until(
      'the contacts whose window is open are sent to',
      async () => env.received.slice(before).filter((m) => open.has(m.to)).length === open.size,
    );
    await until(
      'everyone else waits at the Send step',
      async () => (await recipients(runId)).filter((r) => r.nodeId === 'send').length === 43 - open.size,
    );
    // Sent, they are moved on to the Exit; the campaign's next pass completes them.
    await until('the contacts sent to complete the flow', async () =>
      (await recipients(runId)).every((r) => !open.has(r.email) || r.status === 'completed'),
    );

    for (const r of await recipients(runId)) {
      const zone = zoneOf(r.id);
      if (open.has(r.email)) {
        expect(r.status, r.id).toBe('completed');
        continue;
      }
      expect(r.status, r.id).toBe('pending');
      expect(r.dueAt, `${r.id} in ${zone}`).toBeGreaterThan(startedAt);
      expect(insideWindow(r.dueAt, zone), `${r.id}: ${new Date(r.dueAt).toISOString()} in ${zone}`).toBe(true);
      // Not randomized: the window's opening, not a minute later.
      expect(insideWindow(r.dueAt - 60_000, zone), `${r.id} is due at the opening`).toBe(false);
    }
    // Nobody whose window is shut was sent to.
    expect(env.received.slice(before).filter((m) => !open.has(m.to))).toEqual([]);
    // The seeded contacts (no timezone) read the node's zone, SHUT: 09:00 there is six to eight hours away.
    const fallback = all.filter((r) => !r.id.startsWith('ct_0000'));
    expect(fallback).toHaveLength(3);
    for (const r of await recipients(runId)) if (zoneOf(r.id) === SHUT) expect(r.dueAt - startedAt).toBeGreaterThan(5 * HOUR);

    await controlRun(env.db, env.client, runId, 'cancel');
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('with Randomize, spreads each zone’s contacts across their own window', async () => {
    const startedAt = Date.now();
    const { runId, handle } = await env.run('window-spread', flow({ ...window, randomize: true }));
    await until('everyone is scheduled past the window', async () => {
      const rows = await recipients(runId);
      return rows.length === 43 && rows.every((r) => r.nodeId === 'send' || r.status !== 'pending');
    });
    const rows = await recipients(runId);
    for (const r of rows) {
      const zone = zoneOf(r.id);
      expect(r.dueAt, r.id).toBeGreaterThanOrEqual(startedAt);
      expect(insideWindow(r.dueAt, zone), `${r.id}: ${new Date(r.dueAt).toISOString()} in ${zone}`).toBe(true);
    }
    // Spread, not all at the opening: the open zone's ten contacts get (nearly) ten different times.
    const open = rows.filter((r) => zoneOf(r.id) === OPEN).map((r) => r.dueAt);
    expect(new Set(open).size).toBeGreaterThanOrEqual(9);
    expect(Math.max(...open) - Math.min(...open)).toBeGreaterThan(10 * 60_000);
    await controlRun(env.db, env.client, runId, 'cancel');
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });
});
