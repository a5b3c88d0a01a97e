/**
 * A campaign whose Send step sends through a pool of two profiles, one of them with a wrong password:
 * that member pauses with the fix at its first refused login, its recipients pass to the other member,
 * and every recipient is delivered exactly once, through the good member; the delivery log names the
 * profile of each attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolMember } from '../domain/flow/pool';
import type { FlowGraph } from '../domain/flow/schema';
import { recipientCounts } from '../server/db/recipients';
import { getSmtpProfile, insertSmtpProfile } from '../server/db/smtp-profiles';
import { recipientStory } from '../server/runs/story';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { attemptsOf, localSmtpServer, profileInput, sendGraph } from './helpers';

const CONTACTS = 12;
const pool = [
  { profileId: 'sandbox', weight: 1 },
  { profileId: 'wrong-password', weight: 1 },
];
let env: CampaignEnv;
let wrong: Awaited<ReturnType<typeof localSmtpServer>>;
let logins = 0;
let acceptedByWrong = 0;

beforeAll(async () => {
  env = await campaignEnv({
    contacts: CONTACTS,
    taskQueue: 'campaign-pool',
    inProcessWorker: true,
    passwords: { 'wrong-password': 'not-the-password' },
  });
  wrong = await localSmtpServer({
    authOptional: false,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (_auth, _session, callback) => {
      logins++;
      callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData: (stream, _session, callback) => {
      stream.resume();
      stream.on('end', () => {
        acceptedByWrong++;
        callback();
      });
    },
  });
  await insertSmtpProfile(env.db, profileInput({ name: 'Wrong password', port: wrong.port, username: 'mailer', maxConnections: 1 }), {
    id: 'wrong-password',
    passwordEnc: 'stored',
    ownerId: null,
  });
});

afterAll(async () => {
  await wrong?.close();
  await env?.close();
});

describe('a Send step with a pool of two profiles, one with a wrong password', () => {
  it('delivers every recipient exactly once through the good member, and the log names the profile', async () => {
    const contactIds = Array.from({ length: CONTACTS }, (_, n) => `ct_${String(n).padStart(6, '0')}`);
    // The draw gives the broken member a share of the audience, so failing over is what the test sees.
    expect(contactIds.filter((c) => poolMember(c, pool) === 'wrong-password').length).toBeGreaterThan(0);

    const graph = sendGraph('sandbox');
    const pooled: FlowGraph = {
      ...graph,
      nodes: graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, pool } } : n)),
    };
    const { runId, handle } = await env.run('pooled', pooled);
    const result = await handle.result();
    expect(result.status).toBe('completed');

    // Everyone once, through the sandbox; the member with the wrong password delivered nothing.
    // (The install's seeded contacts are in the audience too.)
    const counts = await recipientCounts(env.db, runId, Date.now());
    const audience = counts.completed;
    expect(audience).toBeGreaterThanOrEqual(CONTACTS);
    const addresses = env.received.map((m) => m.to);
    expect(addresses).toHaveLength(audience);
    expect(new Set(addresses).size).toBe(audience);
    for (let n = 0; n < CONTACTS; n++) expect(addresses).toContain(`person${n}@example.test`);
    expect(acceptedByWrong).toBe(0);
    expect(logins).toBeGreaterThan(0);
    expect(counts.failed + counts.retrying + counts.held + counts.due + counts.waiting).toBe(0);

    // The member paused with the fix, as a single profile does.
    const paused = await getSmtpProfile(env.db, 'wrong-password');
    expect(paused?.failingSince).toBeTruthy();
    expect(paused?.failingReason).toMatch(/535/);

    // The log: each sent row names the sandbox; the refused logins are logged against the other member, not as failures.
    const attempts = await attemptsOf(env.db, runId);
    const sent = attempts.filter((a) => a.outcome === 'sent');
    expect(sent).toHaveLength(audience);
    expect(new Set(sent.map((a) => a.contactId)).size).toBe(audience);
    expect(sent.every((a) => a.profileId === 'sandbox')).toBe(true);
    const refused = attempts.filter((a) => a.profileId === 'wrong-password');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.outcome === 'retrying' && /535/.test(a.smtpReply))).toBe(true);
    expect(attempts.filter((a) => a.outcome === 'failed')).toEqual([]);

    // A recipient who moved: their story names the profile of each attempt.
    const moved = refused[0]!.contactId;
    const story = await recipientStory(env.db, admin, runId, moved);
    const told = story.entries.filter((e) => e.kind === 'attempt').map((e) => e.text);
    expect(told).toEqual(
      expect.arrayContaining([expect.stringMatching(/: retrying\. SMTP profile “Wrong password”\.$/), 'Attempt #2: sent. SMTP profile “Sandbox”.']),
    );
  });
});
