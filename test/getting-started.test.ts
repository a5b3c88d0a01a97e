/**
 * The getting-started checklist (issue 24) ticks each first step from the data itself, never from a
 * stored flag: a fresh install (sandbox profile, sample flow and contacts) has none done; a message
 * through the sandbox or an SMTP profile of one's own, a contact besides the samples, a flow besides
 * the sample (or the sample changed) and a run each tick theirs, as the user sees the install. Both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { type Db, openSandboxDatabase, type SandboxDb } from '../server/db';
import { insertContact } from '../server/db/contacts';
import { getFlow, saveFlowDraft } from '../server/db/flows';
import { insertRun } from '../server/db/runs';
import { clearSandbox, insertSandboxMessages } from '../server/db/sandbox';
import { deleteSmtpProfile, insertSmtpProfile } from '../server/db/smtp-profiles';
import { allDone, gettingStarted } from '../server/getting-started';
import { SAMPLE_FLOW_ID } from '../server/seed';
import { databases, tempInstallOn } from './databases';
import { profileInput, publishForTest, sendGraph } from './helpers';

const admin = { id: 'admin-1', role: 'admin' as const };
const agent = { id: 'agent-1', role: 'agent' as const };
const nothingDone = { sending: false, contacts: false, flow: false, run: false };

describe.each(databases)('the getting-started checklist on %s', (dialect) => {
  let db: Db;
  let sandboxDb: SandboxDb;
  beforeAll(async () => {
    const install = await tempInstallOn(dialect);
    db = install.db;
    sandboxDb = await openSandboxDatabase(install.config.sandboxDatabaseFile);
  });
  afterAll(async () => {
    await db?.destroy();
    await sandboxDb?.destroy();
  });

  it('has nothing done on a fresh install, though the sample flow and contacts are there', async () => {
    expect(await getFlow(db, SAMPLE_FLOW_ID)).toBeDefined();
    expect(await gettingStarted(db, sandboxDb, admin)).toEqual(nothingDone);
    expect(await gettingStarted(db, sandboxDb, agent)).toEqual(nothingDone);
  });

  it('ticks sending for a message through the sandbox, or for an SMTP profile besides the sandbox', async () => {
    await insertSandboxMessages(sandboxDb, [
      {
        envelopeFrom: 'hello@dripline.test',
        envelopeTo: 'ada@example.test',
        fromHeader: 'hello@dripline.test',
        toHeader: 'ada@example.test',
        replyTo: '',
        subject: 'Test email',
        messageId: '<test@dripline.test>',
        text: 'Hi',
        raw: 'Subject: Test email\r\n\r\nHi',
      },
    ]);
    expect((await gettingStarted(db, sandboxDb, admin)).sending).toBe(true);
    await clearSandbox(sandboxDb);
    expect((await gettingStarted(db, sandboxDb, admin)).sending).toBe(false);
    const own = await insertSmtpProfile(db, profileInput({ name: 'Our relay' }), { passwordEnc: '', ownerId: null });
    expect((await gettingStarted(db, sandboxDb, agent)).sending).toBe(true);
    await deleteSmtpProfile(db, own);
    expect((await gettingStarted(db, sandboxDb, admin)).sending).toBe(false);
  });

  it('ticks contacts for a contact besides the samples', async () => {
    await insertContact(db, { email: 'first-real@example.test', name: 'First Real' });
    expect(await gettingStarted(db, sandboxDb, admin)).toEqual({ ...nothingDone, contacts: true });
  });

  it("ticks the flow for the sample changed (an admin's) or a flow of one's own (an agent's)", async () => {
    const sample = await getFlow(db, SAMPLE_FLOW_ID);
    if (!sample) throw new Error('no sample flow');
    // A moment later than the seed, so the save moves updatedAt past createdAt.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await saveFlowDraft(db, { id: SAMPLE_FLOW_ID, name: 'Welcome series, changed', graph: sendGraph(SANDBOX_PROFILE_ID) });
    expect((await gettingStarted(db, sandboxDb, admin)).flow).toBe(true);
    expect((await gettingStarted(db, sandboxDb, agent)).flow).toBe(false);
    await saveFlowDraft(db, { id: 'agents-own', name: 'Mine', graph: sendGraph(SANDBOX_PROFILE_ID), ownerId: agent.id });
    expect((await gettingStarted(db, sandboxDb, agent)).flow).toBe(true);
  });

  it('ticks the run once a published version runs, and then all is done', async () => {
    const plan = await publishForTest(db, 'agents-own', sendGraph(SANDBOX_PROFILE_ID));
    await insertRun(db, {
      id: 'first-run',
      flowId: 'agents-own',
      version: plan.version,
      startedBy: agent.id,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: 'campaign:first-run',
      plan,
    });
    const agentView = await gettingStarted(db, sandboxDb, agent);
    expect(agentView).toEqual({ sending: false, contacts: true, flow: true, run: true });
    expect(allDone(agentView)).toBe(false);
    await insertSmtpProfile(db, profileInput({ name: 'Our relay' }), { passwordEnc: '', ownerId: null });
    expect(allDone(await gettingStarted(db, sandboxDb, agent))).toBe(true);
  });
});
