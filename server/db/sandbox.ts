/** The sandbox SMTP server's mailbox. */
import { now, type Db } from '.';
import type { Tables } from './tables';

export type SandboxMessage = Omit<Tables['sandboxMessages'], 'id'> & { id: number };
export type ReceivedMessage = Omit<SandboxMessage, 'id' | 'receivedAt'>;

export async function insertSandboxMessage(db: Db, m: ReceivedMessage): Promise<void> {
  await db.insertInto('sandboxMessages').values({ ...m, receivedAt: now() }).execute();
}

export async function listSandboxMessages(db: Db, limit = 200): Promise<SandboxMessage[]> {
  return db.selectFrom('sandboxMessages').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

export async function clearSandbox(db: Db): Promise<void> {
  await db.deleteFrom('sandboxMessages').execute();
}
