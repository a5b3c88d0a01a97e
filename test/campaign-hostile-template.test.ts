/**
 * A campaign whose template is hostile for some contacts (a loop that runs for ever, a body of hundreds
 * of megabytes): each such recipient fails with the reason, the others get their email, and the batch
 * keeps heartbeating while the template threads grind (server/templates.ts), so its activity never
 * times out. On a real Temporal server, with a real SMTP server and the worker's own transports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunRecipients } from '../server/db/runs';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { attemptsOf, sendGraph } from './helpers';

/** Contacts (with the install's sample ones): ct_000000 is ordinary, ct_000001's body would be hundreds of megabytes, every other one loops for ever. */
const CONTACTS = 24;
const LOOP = `{% assign a = "${'x'.repeat(200)}" | split: "" %}{% for i in a %}{% for j in a %}{% for k in a %}{% for l in a %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}`;
const SUBJECT = `Hello {{ name }}{% if slow %}${LOOP}{% endif %}`;
const TEXT = `Hi {{ name }}{% if big %}{% for i in (1..3000) %}{% for j in (1..3000) %}${'y'.repeat(30)}{% endfor %}{% endfor %}{% endif %} {{ unsubscribe_url }}`;

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: CONTACTS, taskQueue: 'campaign-hostile-template', inProcessWorker: true });
  await env.db
    .updateTable('contacts')
    .set({ attributes: JSON.stringify({ big: true }) })
    .where('id', '=', 'ct_000001')
    .execute();
  await env.db
    .updateTable('contacts')
    .set({ attributes: JSON.stringify({ slow: true }) })
    .where('id', 'not in', ['ct_000000', 'ct_000001'])
    .execute();
});
afterAll(async () => env?.close());

describe('a campaign with a hostile template', () => {
  it('fails the recipients it is hostile for with the reason, sends the others, and its batch never misses a heartbeat', async () => {
    const { runId, handle } = await env.run('hostile', sendGraph('sandbox', SUBJECT, TEXT));
    await handle.result();

    expect(env.received.map((m) => m.to)).toEqual(['person0@example.test']);
    const recipients = await listRunRecipients(env.db, runId, { offset: 0, limit: 100 });
    expect(recipients.total).toBeGreaterThanOrEqual(CONTACTS);
    expect(recipients.items.filter((r) => r.status === 'failed').map((r) => r.id)).toHaveLength(recipients.total - 1);
    const reasons = new Map((await attemptsOf(env.db, runId)).map((a) => [a.contactId, `${a.outcome}: ${a.smtpReply}`]));
    expect(reasons.get('ct_000001')).toMatch(/^failed: .*Text body: the template printed more than 1000000 characters/);
    for (const { id } of recipients.items.filter((r) => r.id !== 'ct_000000' && r.id !== 'ct_000001'))
      expect(reasons.get(id)).toMatch(/^failed: .*Subject: the template took longer than 1 s to render: simplify its loops/);

    // Every sendBatch ran once, to its end: none timed out (its heartbeats came on time) or was retried.
    const events = (await handle.fetchHistory()).events ?? [];
    const batches = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch');
    expect(batches.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.activityTaskTimedOutEventAttributes)).toEqual([]);
    const attempts = events.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
    expect(attempts.every((a) => a === 1)).toBe(true);
  });
});
