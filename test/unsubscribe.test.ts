/**
 * Unsubscribe and suppression on a real Temporal server and a real SMTP server: campaign messages carry
 * the List-Unsubscribe headers and link, contacts unsubscribed or suppressed since a run started are
 * skipped at send time (logged, never a failure), a 550 5.1.1 suppresses the address, the next run's
 * audience leaves them out, and one-off messages (transactional) still reach them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getContact, setContactStatus } from '../server/db/contacts';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { addToList, getList, insertList, removeFromList } from '../server/db/lists';
import { recipientCounts } from '../server/db/recipients';
import { listRunRecipients } from '../server/db/runs';
import { sendOneOff } from '../server/one-off';
import { verifyUnsubscribeToken } from '../server/unsubscribe';
import { retryWorkflowId } from '../workflows/contracts';
import { admin, campaignEnv, type CampaignEnv, PUBLIC_URL, until } from './campaign-env';
import { attemptsOf, graphWithDelay, profileInput } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 8, taskQueue: 'unsubscribe-test', inProcessWorker: true });
});
afterAll(async () => env?.close());

const ids = (...n: number[]) => n.map((i) => `ct_${String(i).padStart(6, '0')}`);
const secret = Buffer.alloc(32, 3); // campaign-env's messageIdSecret

describe('unsubscribe and suppression', () => {
  it('skips a contact unsubscribed during the run, suppresses a 550 5.1.1, and the next run leaves both out', async () => {
    env.answers.set('person1@example.test', () => ({ code: 550, text: '5.1.1 Mailbox unavailable' }));
    const before = env.received.length;
    const { runId, handle } = await env.run('unsub', graphWithDelay({ mode: 'fixed', amount: 2, unit: 'seconds' }), {
      audience: { kind: 'contacts', contactIds: ids(0, 1, 2, 3) },
    });
    await until('everyone enrolled', async () => (await recipientCounts(env.db, runId, Date.now())).waiting === 4);
    // Unsubscribed after the run started, while waiting in the delay.
    expect(await setContactStatus(env.db, 'ct_000000', 'unsubscribed', 'test')).toBe(true);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 2, failed: 1 });

    const mine = env.received.slice(before);
    expect(mine.map((m) => m.to).sort()).toEqual(['person2@example.test', 'person3@example.test']);
    for (const m of mine) {
      const url = /^<(https:\/\/dripline\.example\.test\/unsubscribe\/([^>]+))>$/.exec(m.listUnsubscribe);
      expect(url, m.listUnsubscribe).not.toBeNull();
      expect(verifyUnsubscribeToken([secret], url?.[2] ?? '')).toBe(m.to === 'person2@example.test' ? 'ct_000002' : 'ct_000003');
      expect(m.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
      // The body does not say {{ unsubscribe_url }}: the link is appended.
      expect(m.text).toContain(`unsubscribe: ${url?.[1]}`);
      expect(url?.[1]?.startsWith(`${PUBLIC_URL}/unsubscribe/`)).toBe(true);
    }

    const recipients = (await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).items;
    const status = Object.fromEntries(recipients.map((r) => [r.id, r.status]));
    expect(status).toEqual({ ct_000000: 'skipped', ct_000001: 'failed', ct_000002: 'completed', ct_000003: 'completed' });
    const attempts = await attemptsOf(env.db, runId);
    const skipped = attempts.filter((a) => a.contactId === 'ct_000000');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ outcome: 'skipped', smtpCode: null });
    expect(skipped[0]?.smtpReply).toMatch(/^skipped: the contact is unsubscribed \(test, since \d{4}-/);
    expect(await getContact(env.db, 'ct_000001')).toMatchObject({
      status: 'suppressed',
      statusReason: expect.stringMatching(/^bounced: 550 5\.1\.1/),
    });

    // The next run, for everyone: the unsubscribed and the suppressed are not in its audience.
    env.answers.delete('person1@example.test');
    const next = await env.run('unsub-next', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    expect(await next.handle.result()).toMatchObject({ status: 'completed', sent: 6 + 3, failed: 0 });
    const enrolled = (await listRunRecipients(env.db, next.runId, { offset: 0, limit: 100 })).items.map((r) => r.id);
    expect(enrolled).not.toContain('ct_000000');
    expect(enrolled).not.toContain('ct_000001');
    expect(env.received.slice(before + 2).some((m) => m.to === 'person0@example.test' || m.to === 'person1@example.test')).toBe(false);
  });

  it('skips a recipient unsubscribed while its own retry workflow waits, and the retry workflow settles it as skipped', async () => {
    // Greylisted for good: an attempt that checked the contact just before the unsubscribe still cannot
    // deliver, so only the skip at a later attempt can settle the recipient.
    env.answers.set('person5@example.test', () => ({ code: 451, text: '4.7.1 Greylisted, try again later' }));
    const before = env.received.length;
    const { runId, handle } = await env.run('unsub-retry', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), {
      audience: { kind: 'contacts', contactIds: ids(4, 5) },
    });
    await until('the retry workflow to have ct_000005', async () =>
      (await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).items.some((r) => r.id === 'ct_000005' && r.status === 'retrying'),
    );
    await setContactStatus(env.db, 'ct_000005', 'unsubscribed', 'one-click unsubscribe from the mail client');
    await handle.result();
    await until('ct_000005 to settle', async () =>
      (await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).items.some((r) => r.id === 'ct_000005' && r.status === 'skipped'),
    );
    expect(env.received.slice(before).map((m) => m.to)).toEqual(['person4@example.test']);
    const attempts = (await attemptsOf(env.db, runId)).filter((a) => a.contactId === 'ct_000005');
    expect(attempts.at(-1)).toMatchObject({ outcome: 'skipped', workflowId: retryWorkflowId(runId, 'send', 'ct_000005') });
    expect(attempts.filter((a) => a.outcome === 'failed')).toEqual([]);
    env.answers.delete('person5@example.test');
  });

  it('runs for a static list: its subscribed members, counted before the start; an unknown list is a 404 naming the field', async () => {
    const listId = await insertList(env.db, 'VIPs');
    // ct_000999 does not exist: ignored. ct_000000 unsubscribed in the first test.
    expect(await addToList(env.db, listId, ids(0, 2, 6, 999))).toBe(3);
    expect(await addToList(env.db, listId, ids(2))).toBe(0);
    expect(await getList(env.db, listId)).toMatchObject({ name: 'VIPs', members: 3, subscribed: 2 });
    const before = env.received.length;
    const { runId, handle } = await env.run('list-run', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), {
      audience: { kind: 'list', listId },
    });
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 2 });
    expect(
      env.received
        .slice(before)
        .map((m) => m.to)
        .sort(),
    ).toEqual(['person2@example.test', 'person6@example.test']);
    expect((await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).total).toBe(2);
    expect(await removeFromList(env.db, listId, ids(6))).toBe(1);
    expect(await getList(env.db, listId)).toMatchObject({ members: 2, subscribed: 1 });
    await expect(
      env.run('list-missing', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), { audience: { kind: 'list', listId: 'list_nope' } }),
    ).rejects.toMatchObject({
      status: 404,
      details: { field: 'audience.listId' },
    });
  });

  it('adds a mailto: with the signed token to List-Unsubscribe when the profile has an unsubscribe mailbox, and keeps One-Click', async () => {
    const sandbox = profileInput({ name: 'Sandbox', port: env.smtp.port });
    await updateSmtpProfile(env.db, 'sandbox', { ...sandbox, unsubscribeMailbox: 'unsubscribe+list@example.test' }, '');
    try {
      const before = env.received.length;
      const { handle } = await env.run('unsub-mailto', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), {
        audience: { kind: 'contacts', contactIds: ids(7) },
      });
      expect(await handle.result()).toMatchObject({ status: 'completed', sent: 1 });
      const [mail] = env.received.slice(before);
      expect(mail?.to).toBe('person7@example.test');
      const m =
        /^<(https:\/\/dripline\.example\.test\/unsubscribe\/([^>]+))>, <mailto:unsubscribe%2Blist@example\.test\?subject=unsubscribe-([^>]+)>$/.exec(
          mail?.listUnsubscribe ?? '',
        );
      expect(m, mail?.listUnsubscribe).not.toBeNull();
      // The same signed token in both: whoever reads the mailbox can tell who asked.
      expect(m?.[3]).toBe(m?.[2]);
      expect(verifyUnsubscribeToken([secret], m?.[3] ?? '')).toBe('ct_000007');
      expect(mail?.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
    } finally {
      await updateSmtpProfile(env.db, 'sandbox', sandbox, '');
    }
  });

  it('sends a one-off message (transactional) to an unsubscribed contact, without an unsubscribe link', async () => {
    const before = env.received.length;
    const { workflowId } = await sendOneOff(env.db, env.client, env.config, admin, {
      contactId: 'ct_000000',
      subject: 'Your receipt',
      text: 'Thanks',
      confirmUnsubscribed: true,
    });
    await env.client.workflow.getHandle(workflowId).result();
    const mine = env.received.slice(before);
    expect(mine.map((m) => m.to)).toEqual(['person0@example.test']);
    expect(mine[0]).toMatchObject({ listUnsubscribe: '', listUnsubscribePost: '' });
    expect(mine[0]?.text.trim()).toBe('Thanks');
  });
});
