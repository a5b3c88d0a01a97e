/**
 * The sandbox mailbox on a real SQLite file: its list is summaries (headers and size, no body) however
 * big the messages, one message's text loads on its own, and pruning keeps the newest messages within
 * the count, age and size limits.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSandboxDatabase, type SandboxDb } from '../server/db';
import { getSandboxMessage, insertSandboxMessages, listSandboxSummaries, pruneSandbox } from '../server/db/sandbox';
import { tempDir } from './helpers';

let db: SandboxDb | undefined;
afterEach(async () => {
  await db?.destroy();
  db = undefined;
});

async function mailbox(): Promise<SandboxDb> {
  db = await openSandboxDatabase(path.join(tempDir('sandbox-mailbox'), 'sandbox.db'));
  return db;
}

function message(subject: string, body = 'Hello.') {
  return {
    envelopeFrom: 'hello@dripline.test',
    envelopeTo: 'ada@example.test',
    fromHeader: 'hello@dripline.test',
    toHeader: 'ada@example.test',
    replyTo: '',
    subject,
    messageId: `<${subject.replace(/\W/g, '')}@dripline.test>`,
    text: body,
    raw: `Subject: ${subject}\r\n\r\n${body}`,
  };
}

const subjects = async (d: SandboxDb) => (await listSandboxSummaries(d, { limit: 100_000 })).map((m) => m.subject);

describe('the sandbox mailbox', () => {
  it('lists summaries without bodies, small whatever the messages weigh, and loads one message when opened', async () => {
    const d = await mailbox();
    const big = 'x'.repeat(1024 * 1024);
    await insertSandboxMessages(d, [message('First big one', big)]);
    await insertSandboxMessages(d, [message('Second big one', big)]);
    await insertSandboxMessages(d, [message('A small one')]);
    const list = await listSandboxSummaries(d);
    expect(list.map((m) => m.subject)).toEqual(['A small one', 'Second big one', 'First big one']);
    expect(list[1]).not.toHaveProperty('text');
    expect(list[1]).not.toHaveProperty('raw');
    expect(list[1]?.size).toBe(Buffer.byteLength(message('Second big one', big).raw));
    expect(JSON.stringify(list).length).toBeLessThan(5_000);
    const opened = await getSandboxMessage(d, list[1]?.id ?? 0);
    expect(opened?.text).toBe(big);
    expect(opened).not.toHaveProperty('raw');
    expect(await listSandboxSummaries(d, { messageIds: [message('A small one').messageId] })).toHaveLength(1);
    expect(await listSandboxSummaries(d, { messageIds: [] })).toEqual([]);
  });

  it('prunes to the newest messages within the count limit, in batches', async () => {
    const d = await mailbox();
    for (let i = 1; i <= 25; i++) await insertSandboxMessages(d, [message(`Message ${i}`)]);
    expect(await pruneSandbox(d, { messages: 10, days: 7, bytes: 1e9 }, 4)).toBe(15);
    expect(await subjects(d)).toEqual(Array.from({ length: 10 }, (_, i) => `Message ${25 - i}`));
    expect(await pruneSandbox(d, { messages: 10, days: 7, bytes: 1e9 })).toBe(0);
  });

  it('prunes messages older than the age limit', async () => {
    const d = await mailbox();
    await insertSandboxMessages(d, [message('Old')]);
    await insertSandboxMessages(d, [message('Older')]);
    await insertSandboxMessages(d, [message('New')]);
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    await d.updateTable('sandboxMessages').set({ receivedAt: eightDaysAgo }).where('subject', 'in', ['Old', 'Older']).execute();
    expect(await pruneSandbox(d, { messages: 100, days: 7, bytes: 1e9 })).toBe(2);
    expect(await subjects(d)).toEqual(['New']);
  });

  it('prunes the oldest messages until what is left fits the size limit', async () => {
    const d = await mailbox();
    for (let i = 1; i <= 5; i++) await insertSandboxMessages(d, [message(`Sized ${i}`, 'y'.repeat(1000))]);
    const size = (await listSandboxSummaries(d))[0]?.size ?? 0;
    expect(await pruneSandbox(d, { messages: 100, days: 7, bytes: size * 3 + 10 })).toBe(2);
    expect(await subjects(d)).toEqual(['Sized 5', 'Sized 4', 'Sized 3']);
  });
});
