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

/** A message as the mailbox lists it: its headers and its size, never its body. */
export type SandboxSummary = Omit<SandboxMessage, 'text' | 'raw'> & { size: number };

/**
 * The newest messages' summaries (with `messageIds`: only those with one of these Message-IDs, what one
 * agent may see). The size is the raw source's in bytes, read from the row's header: no body is loaded.
 */
export async function listSandboxSummaries(
  db: SandboxDb,
  options: { messageIds?: readonly string[]; limit?: number } = {},
): Promise<SandboxSummary[]> {
  if (options.messageIds?.length === 0) return [];
  let q = db
    .selectFrom('sandboxMessages')
    .select([
      'id',
      'receivedAt',
      'envelopeFrom',
      'envelopeTo',
      'fromHeader',
      'toHeader',
      'replyTo',
      'subject',
      'messageId',
      sql<number>`octet_length(raw)`.as('size'),
    ]);
  if (options.messageIds) q = q.where('messageId', 'in', sql<string>`(SELECT value FROM json_each(${JSON.stringify(options.messageIds)}))`);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(options.limit ?? 200)
    .execute();
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/** One message with its text (not its raw source), when it is opened. */
export async function getSandboxMessage(db: SandboxDb, id: number): Promise<Omit<SandboxMessage, 'raw'> | undefined> {
  return db
    .selectFrom('sandboxMessages')
    .select(['id', 'receivedAt', 'envelopeFrom', 'envelopeTo', 'fromHeader', 'toHeader', 'replyTo', 'subject', 'messageId', 'text'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** One message's raw source, as received: for its HTML, its headers and its .eml download. */
export async function getSandboxRaw(db: SandboxDb, id: number): Promise<Pick<SandboxMessage, 'id' | 'messageId' | 'raw'> | undefined> {
  return db.selectFrom('sandboxMessages').select(['id', 'messageId', 'raw']).where('id', '=', id).executeTakeFirst();
}

/** How much the mailbox keeps: the newest `messages`, none older than `days`, at most `bytes` of raw source in all. */
export interface SandboxLimits {
  messages: number;
  days: number;
  bytes: number;
}
export const SANDBOX_LIMITS: SandboxLimits = { messages: 10_000, days: 7, bytes: 500 * 1024 * 1024 };

/**
 * Deletes what is over the limits, oldest first, a batch at a time (the SMTP server keeps storing
 * between batches); returns how many messages went. The sandbox process runs it on a timer.
 */
export async function pruneSandbox(db: SandboxDb, limits: SandboxLimits = SANDBOX_LIMITS, batch = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - limits.days * 86_400_000).toISOString();
  const tooOld = await db
    .selectFrom('sandboxMessages')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('receivedAt', '<', cutoff)
    .executeTakeFirst();
  const beyondCount = await db.selectFrom('sandboxMessages').select('id').orderBy('id', 'desc').offset(limits.messages).limit(1).executeTakeFirst();
  // The newest message that takes the running total of sizes, newest first, over the limit: it and all before it go.
  const beyondBytes = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('sandboxMessages')
        .select(['id', sql<number>`sum(octet_length(raw)) OVER (ORDER BY id DESC)`.as('total')])
        .as('running'),
    )
    .select('id')
    .where('total', '>', limits.bytes)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const upTo = Math.max(tooOld?.id ?? 0, beyondCount?.id ?? 0, beyondBytes?.id ?? 0);
  let deleted = 0;
  for (;;) {
    const r = await db
      .deleteFrom('sandboxMessages')
      .where('id', 'in', (eb) => eb.selectFrom('sandboxMessages').select('id').where('id', '<=', upTo).orderBy('id').limit(batch))
      .executeTakeFirst();
    const n = Number(r.numDeletedRows);
    deleted += n;
    if (n < batch) return deleted;
  }
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
