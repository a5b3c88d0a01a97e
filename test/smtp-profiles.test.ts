/** SMTP profiles: write-only passwords, who may use what, defaults for agents, deletion rules; on SQLite and on PostgreSQL. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppUser } from '../server/auth';
import { decryptSecret, makeKeyring } from '../server/crypto';
import type { Db } from '../server/db';
import { SmtpProfileInput } from '../domain/smtp-profile';
import { AGENT_DEFAULT } from '../domain/senders';
import { createProfile, deleteProfile, listProfiles, profileFor, profileView, resolveSender, updateProfile } from '../server/profiles';
import { insertRun, setRunStatus } from '../server/db/runs';
import { getSmtpProfile } from '../server/db/smtp-profiles';
import type { SendEmailStep } from '../domain/flow/plan';
import { defaultProfileId } from '../server/db/smtp-profiles';
import { databaseEnv, databases } from './databases';
import { graphWithDelay, installWithUsers, publishForTest } from './helpers';
import { campaignWorkflowId } from '../workflows/contracts';

let db: Db;
const keyring = makeKeyring(randomBytes(32));
const users: Record<'admin' | 'a' | 'b', AppUser> = {} as never;

const form = (over: Record<string, unknown> = {}) =>
  SmtpProfileInput.parse({
    name: 'Gmail marketing',
    host: 'smtp.gmail.com',
    port: 587,
    secure: false,
    requireTls: true,
    username: 'me@gmail.com',
    password: 'app-password-1',
    fromEmail: 'me@gmail.com',
    fromName: 'Me',
    ...over,
  });

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    const install = await installWithUsers(
      [
        ['admin', 'admin'],
        ['a', 'agent'],
        ['b', 'agent'],
      ],
      await databaseEnv(dialect),
    );
    db = install.db;
    Object.assign(users, install.users);
  });
  afterAll(async () => db?.destroy());

  describe('SMTP profiles', () => {
    it('stores the password encrypted and never shows it', async () => {
      const { id } = await createProfile(db, keyring, users.admin, form());
      const row = await profileFor(db, users.admin, id);
      expect(row.passwordEnc).not.toContain('app-password-1');
      expect(decryptSecret(keyring, row.passwordEnc, id)).toBe('app-password-1');
      const view = await profileView(db, users.admin, row);
      expect(JSON.stringify(view)).not.toContain('app-password-1');
      expect(view.hasPassword).toBe(true);
    });

    it('keeps the password when left blank, and clears it when the server changes', async () => {
      const { id } = await createProfile(db, keyring, users.admin, form());
      expect((await updateProfile(db, keyring, users.admin, id, form({ password: '', name: 'Renamed' }))).passwordCleared).toBe(false);
      expect((await profileFor(db, users.admin, id)).passwordEnc).not.toBe('');
      const moved = await updateProfile(db, keyring, users.admin, id, form({ password: '', host: 'smtp.evil.test' }));
      expect(moved.passwordCleared).toBe(true);
      expect((await profileFor(db, users.admin, id)).passwordEnc).toBe('');
    });

    it("keeps an agent out of another agent's private profile (403), and out of the list", async () => {
      const { id } = await createProfile(db, keyring, users.a, form({ name: 'A private' }));
      await expect(profileFor(db, users.b, id)).rejects.toMatchObject({ status: 403 });
      await expect(resolveSender(db, users.b, id)).rejects.toMatchObject({ status: 403 });
      expect((await listProfiles(db, users.b)).map((p) => p.id)).not.toContain(id);
      expect((await listProfiles(db, users.a)).map((p) => p.id)).toContain(id);
      await expect(updateProfile(db, keyring, users.b, id, form())).rejects.toMatchObject({ status: 403 });
      await expect(createProfile(db, keyring, users.a, { ...form(), defaultFor: [users.b.id] })).rejects.toMatchObject({ status: 403 });
    });

    it("uses the profile an admin made an agent's default, else the install default", async () => {
      expect(await defaultProfileId(db, users.b.id)).toBe('sandbox');
      const { id } = await createProfile(db, keyring, users.admin, { ...form({ name: 'For B' }), defaultFor: [users.b.id] });
      expect(await defaultProfileId(db, users.b.id)).toBe(id);
      expect((await resolveSender(db, users.b, AGENT_DEFAULT)).id).toBe(id);
      expect((await listProfiles(db, users.b)).find((p) => p.id === id)?.isMyDefault).toBe(true);
    });

    it('refuses to delete a profile a published flow uses, naming the flow', async () => {
      const { id } = await createProfile(db, keyring, users.admin, form({ name: 'In use' }));
      await publishForTest(db, 'uses-it', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }, id));
      await expect(deleteProfile(db, users.admin, id)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/"uses-it" \(v1\)/) });
      const spare = await createProfile(db, keyring, users.admin, form({ name: 'Spare' }));
      await deleteProfile(db, users.admin, spare.id);
      await expect(profileFor(db, users.admin, spare.id)).rejects.toMatchObject({ status: 404 });
    });

    it("refuses to delete a profile an unfinished run sends with (resolved from an agent's default), naming the run; then deletes softly", async () => {
      const { id } = await createProfile(db, keyring, users.admin, { ...form({ name: 'Agent default in flight' }), defaultFor: [users.b.id] });
      const plan = await publishForTest(db, 'by-default', graphWithDelay({ mode: 'fixed', amount: 3, unit: 'days' }, AGENT_DEFAULT));
      // The flow names "agent's default"; the run resolved it to this profile when it started.
      const resolved = { ...plan, steps: { ...plan.steps, send: { ...(plan.steps.send as SendEmailStep), profileId: id } } };
      await insertRun(db, {
        id: 'run-in-flight',
        flowId: 'by-default',
        version: plan.version,
        startedBy: users.b.id,
        idempotencyKey: null,
        audience: { kind: 'all' },
        workflowId: campaignWorkflowId('run-in-flight'),
        plan: resolved,
      });
      await expect(deleteProfile(db, users.admin, id)).rejects.toMatchObject({
        status: 409,
        message: expect.stringMatching(/runs that have not finished: "by-default" v1 \(run run-in-flight, running\)/),
      });
      await setRunStatus(db, 'run-in-flight', 'completed');
      await deleteProfile(db, users.admin, id);
      // Gone from every list and from use, but a send already under way can still load it.
      expect((await listProfiles(db, users.admin)).map((p) => p.id)).not.toContain(id);
      await expect(resolveSender(db, users.b, AGENT_DEFAULT)).resolves.toMatchObject({ id: 'sandbox' });
      expect((await getSmtpProfile(db, id))?.deletedAt).not.toBeNull();
    });

    it('validates the form with errors that name the field and the fix', () => {
      const issues = (over: Record<string, unknown>) => {
        const r = SmtpProfileInput.safeParse({
          name: 'x',
          host: 'smtp.example.com',
          port: 587,
          requireTls: true,
          fromEmail: 'a@example.com',
          ...over,
        });
        return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      };
      expect(issues({})).toEqual([]);
      expect(issues({ port: 70000 })).toContainEqual(expect.stringMatching(/^port: Port must be between 1 and 65535/));
      expect(issues({ port: 465, secure: false, requireTls: false })).toContainEqual(expect.stringMatching(/^secure: Port 465 expects SSL/));
      expect(issues({ port: 587, secure: true, requireTls: false })).toContainEqual(expect.stringMatching(/^secure: Port 587 uses STARTTLS/));
      expect(issues({ secure: true })).toContainEqual(expect.stringMatching(/^requireTls: Turn on SSL or TLS, not both/));
      expect(issues({ fromEmail: 'not-an-address' })).toContainEqual(expect.stringMatching(/^fromEmail: Email address must be an email/));
      for (const field of ['fromName', 'name', 'username']) {
        expect(issues({ [field]: 'x\r\nBcc: a@evil.test' })).toContainEqual(expect.stringMatching(new RegExp(`^${field}: .*line breaks`)));
      }
      expect(issues({ replyTo: 'x\r\nBcc: a@evil.test' }).some((i) => i.startsWith('replyTo'))).toBe(true);
      // The unsubscribe mailbox is optional ('' for none); anything else must be an address.
      expect(issues({ unsubscribeMailbox: '' })).toEqual([]);
      expect(issues({ unsubscribeMailbox: 'unsubscribe@example.com' })).toEqual([]);
      expect(issues({ unsubscribeMailbox: 'unsubscribe' })).toEqual([
        'unsubscribeMailbox: Unsubscribe mailbox must be an email address like unsubscribe@example.com (or leave it empty)',
      ]);
      expect(issues({ unsubscribeMailbox: 'a@example.com\r\nBcc: b@evil.test' })).toContainEqual(
        expect.stringMatching(/^unsubscribeMailbox: .*line breaks/),
      );
    });
  });
});
