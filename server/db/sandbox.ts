/** The sandbox SMTP server's mailbox, in the sandbox's own database (data/sandbox.db, not the app database). */
import { now, type SandboxDb, sql } from '.';
import type { SandboxTables } from './tables';

export type SandboxMessage = Omit<SandboxTables['sandboxMessages'], 'id'> & { id: number };
export type ReceivedMessage = Omit<SandboxMessage, 'id' | 'receivedAt'>;

/** Many messages in one transaction (one commit, one write of the pages they share), in their order. */
export async function insertSandboxMessages(db: SandboxDb, messages: readonly ReceivedMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const receivedAt = now();
  await db.transaction().execute(async (trx) => {
    // 11 columns a row: 500 rows stay far below any driver's limit on parameters.
    for (let i = 0; i < messages.length; i += 500) {
      await trx
        .insertInto('sandboxMessages')
        .values(messages.slice(i, i + 500).map((m) => ({ ...m, receivedAt })))
        .execute();
    }
  });
}

/**
 * Stores messages as they come, committing together the ones that arrive within one turn of the
 * event loop: under load a commit per message is most of the sandbox's cost; grouped, the mailbox
 * still has each message before its sender is told it was accepted (each promise resolves after
 * its group's commit), and waits for nothing but the current turn.
 */
export function groupedSandboxInserts(db: SandboxDb): (m: ReceivedMessage) => Promise<void> {
  let group: { message: ReceivedMessage; stored: () => void; failed: (err: unknown) => void }[] = [];
  const commit = () => {
    const committing = group;
    group = [];
    insertSandboxMessages(
      db,
      committing.map((g) => g.message),
    ).then(
      () => {
        for (const g of committing) g.stored();
      },
      (err: unknown) => {
        for (const g of committing) g.failed(err);
      },
    );
  };
  return (message) =>
    new Promise<void>((stored, failed) => {
      if (group.length === 0) setImmediate(commit);
      group.push({ message, stored, failed });
    });
}

export async function listSandboxMessages(db: SandboxDb, limit = 200): Promise<SandboxMessage[]> {
  return db.selectFrom('sandboxMessages').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** The newest messages with one of these Message-IDs (what one agent may see), as listSandboxMessages. */
export async function listSandboxMessagesWithIds(db: SandboxDb, messageIds: readonly string[], limit = 200): Promise<SandboxMessage[]> {
  if (messageIds.length === 0) return [];
  const ids = sql<string>`(SELECT value FROM json_each(${JSON.stringify(messageIds)}))`;
  return db.selectFrom('sandboxMessages').selectAll().where('messageId', 'in', ids).orderBy('id', 'desc').limit(limit).execute();
}

export async function clearSandbox(db: SandboxDb): Promise<void> {
  await db.deleteFrom('sandboxMessages').execute();
}

/**
 * How many messages the mailbox holds after id `afterId` (0: all of them), with the newest one's id
 * and when it was stored. Passing the previous lastId back makes polling cheap (a rowid range).
 */
export async function countSandboxMessages(db: SandboxDb, afterId = 0): Promise<{ count: number; lastId: number; lastReceivedAt: string | null }> {
  const row = await db
    .selectFrom('sandboxMessages')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('last')])
    .where('id', '>', afterId)
    .executeTakeFirstOrThrow();
  const lastId = row.last ?? afterId;
  const last =
    row.last === null ? undefined : await db.selectFrom('sandboxMessages').select('receivedAt').where('id', '=', row.last).executeTakeFirst();
  return { count: Number(row.n), lastId, lastReceivedAt: last?.receivedAt ?? null };
}

/**
 * The mailbox's messages with one of these Message-IDs (a run's, from `runMessageIds` in the app
 * database): how many, how many distinct Message-IDs (the difference is duplicates), and when the
 * first and last were stored. The ids go in as one JSON parameter, so any number of them fits.
 */
export async function sandboxMessagesWithIds(
  db: SandboxDb,
  messageIds: readonly string[],
): Promise<{ messages: number; distinct: number; firstReceivedAt: string | null; lastReceivedAt: string | null }> {
  const ids = sql<string>`(SELECT value FROM json_each(${JSON.stringify(messageIds)}))`;
  const row = await db
    .selectFrom('sandboxMessages')
    .where('messageId', 'in', ids)
    .select((eb) => [
      eb.fn.countAll<number>().as('messages'),
      eb.fn.count<number>('messageId').distinct().as('distinct'),
      eb.fn.min('receivedAt').as('first'),
      eb.fn.max('receivedAt').as('last'),
    ])
    .executeTakeFirstOrThrow();
  return { messages: Number(row.messages), distinct: Number(row.distinct), firstReceivedAt: row.first ?? null, lastReceivedAt: row.last ?? null };
}

/**
 * Every message of the mailbox with one of these Message-IDs, as (Message-ID, when it was stored),
 * oldest first: what the bench measures a run's pace and duplicates by, at the sink.
 */
export async function sandboxReceipts(db: SandboxDb, messageIds: readonly string[]): Promise<{ messageId: string; receivedAt: string }[]> {
  const ids = sql<string>`(SELECT value FROM json_each(${JSON.stringify(messageIds)}))`;
  return db
    .selectFrom('sandboxMessages')
    .select(['messageId', 'receivedAt'])
    .where('messageId', 'in', ids)
    .orderBy('receivedAt')
    .orderBy('id')
    .execute();
}
