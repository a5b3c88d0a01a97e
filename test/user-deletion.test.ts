/**
 * Deleting users on a real app database with better-auth's tables: what they own passes to the admin
 * who deletes them, their login and sessions go, and the rules (not yourself, not the last admin,
 * admins only) answer with what to do instead. On SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { sql } from '../server/db';
import { deleteUserReassigning } from '../server/db/user-deletion';
import { createProfile } from '../server/profiles';
import { loadKeyring } from '../server/secrets';
import { deleteUser } from '../server/user-deletion';
import { saveDraftAs } from '../server/access';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, installUsers, profileInput } from './helpers';

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  const users: Record<string, { id: string; role: 'admin' | 'agent' }> = {};
  let signIn: (email: string) => Promise<unknown>;

  beforeAll(async () => {
    const install = await tempInstallOn(dialect);
    db = install.db;
    const made = await installUsers(install, [
      ['root', 'admin'],
      ['second', 'admin'],
      ['agent', 'agent'],
    ]);
    const auth = made.auth;
    Object.assign(users, made.users);
    signIn = (email) => auth.api.signInEmail({ body: { email, password: 'long-password-1' } });
    // The agent owns a flow and a private SMTP profile.
    const agent = users.agent as { id: string; role: 'agent' };
    await saveDraftAs(db, agent, { id: 'agents-flow', name: 'Agent flow', graph: graphWithDelay({ mode: 'fixed', amount: 1, unit: 'seconds' }) });
    await createProfile(db, loadKeyring(install.config), agent, profileInput({ name: 'Agent profile', allowPlainAuth: false }));
  });
  afterAll(async () => db?.destroy());

  const ownerOf = async (table: 'flows' | 'smtp_profiles', where: string) =>
    (
      await sql<{
        owner: string | null;
      }>`SELECT owner_id AS owner FROM ${sql.table(table)} WHERE ${sql.ref(table === 'flows' ? 'id' : 'name')} = ${where}`.execute(db)
    ).rows[0]?.owner;

  describe('deleting users', () => {
    it('passes what they own to the deleting admin and removes their login and sessions', async () => {
      const root = users.root as { id: string; role: 'admin' };
      const agent = users.agent as { id: string; role: 'agent' };
      await signIn('agent@x.test');
      expect((await sql<{ n: number }>`SELECT count(*) AS n FROM session WHERE "userId" = ${agent.id}`.execute(db)).rows[0]?.n).toBe(1);
      expect(await ownerOf('flows', 'agents-flow')).toBe(agent.id);

      const deleted = await deleteUser(db, root, agent.id);
      expect(deleted).toEqual({ id: agent.id, email: 'agent@x.test', moved: { flows: 1, runs: 0, smtpProfiles: 1, imports: 0 } });
      expect(await ownerOf('flows', 'agents-flow')).toBe(root.id);
      expect(await ownerOf('smtp_profiles', 'Agent profile')).toBe(root.id);
      for (const table of ['session', 'account']) {
        const left = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE "userId" = ${agent.id}`.execute(db);
        expect(left.rows[0]?.n, table).toBe(0);
      }
      await expect(signIn('agent@x.test')).rejects.toThrow();
      await expect(deleteUser(db, root, agent.id)).rejects.toMatchObject({ status: 404, code: 'user_not_found' });
    });

    it('refuses deleting yourself, the last admin, and anyone when not an admin', async () => {
      const root = users.root as { id: string; role: 'admin' };
      const second = users.second as { id: string; role: 'admin' };
      await expect(deleteUser(db, root, root.id)).rejects.toMatchObject({
        status: 409,
        code: 'cannot_delete_self',
        message: 'you cannot delete your own account; ask another admin to do it',
      });
      await expect(deleteUser(db, { id: 'x', role: 'agent' }, second.id)).rejects.toMatchObject({ status: 403 });
      // Two admins deleting each other: the second deletion finds the other gone, and the last admin stays.
      expect((await deleteUser(db, root, second.id)).email).toBe('second@x.test');
      const last = await deleteUserReassigning(db, root.id, second.id);
      expect(last).toEqual({ ok: false, reason: 'last_admin', email: 'root@x.test' });
      expect((await sql<{ n: number }>`SELECT count(*) AS n FROM "user" WHERE id = ${root.id}`.execute(db)).rows[0]?.n).toBe(1);
    });
  });

  it('leaves one admin when the last two delete each other at once', async () => {
    const install = await tempInstallOn(dialect);
    try {
      const { users: pair } = await installUsers(install, [
        ['ann', 'admin'],
        ['bob', 'admin'],
      ]);
      const both = await Promise.all([
        deleteUserReassigning(install.db, pair.ann.id, pair.bob.id),
        deleteUserReassigning(install.db, pair.bob.id, pair.ann.id),
      ]);
      expect(both.filter((r) => r.ok)).toHaveLength(1);
      expect(both.find((r) => !r.ok)).toMatchObject({ reason: 'last_admin' });
      const admins = await sql<{ n: number }>`SELECT count(*) AS n FROM "user" WHERE role = 'admin'`.execute(install.db);
      expect(admins.rows[0]?.n).toBe(1);
    } finally {
      await install.db.destroy();
    }
  });
});
