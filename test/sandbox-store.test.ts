// The sandbox's mailbox stores the messages of one turn of the event loop together (groupedSandboxInserts):
// every message is in the database once its promise resolves, in the order they came; a failed commit
// fails every message of its group (the sandbox then answers 451 to each).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSandboxDatabase, type SandboxDb } from '../server/db';
import { groupedSandboxInserts, listSandboxMessages, type ReceivedMessage } from '../server/db/sandbox';
import { tempDir } from './helpers';

const message = (i: number): ReceivedMessage => ({
  envelopeFrom: 'from@example.test',
  envelopeTo: `to-${i}@example.test`,
  fromHeader: 'from@example.test',
  toHeader: `to-${i}@example.test`,
  replyTo: '',
  subject: `Message ${i}`,
  messageId: `<${i}@example.test>`,
  text: `text ${i}`,
  raw: `Subject: Message ${i}\r\n\r\ntext ${i}\r\n`,
});

let db: SandboxDb | undefined;
afterAll(async () => {
  await db?.destroy().catch(() => undefined);
});

describe('the sandbox mailbox', () => {
  it('has every message of a group once its promise resolves, in the order they came', async () => {
    db = await openSandboxDatabase(path.join(tempDir('sandbox-store'), 'sandbox.db'));
    const store = groupedSandboxInserts(db);
    const first = Array.from({ length: 600 }, (_, i) => store(message(i)));
    await Promise.all(first);
    // One turn, one group: the same commit time for all of them.
    const stored = (await listSandboxMessages(db, 1000)).reverse();
    expect(stored.map((m) => m.subject)).toEqual(Array.from({ length: 600 }, (_, i) => `Message ${i}`));
    expect(new Set(stored.map((m) => m.receivedAt)).size).toBe(1);
    // A later message is a group of its own.
    await store(message(600));
    expect((await listSandboxMessages(db, 1))[0]?.subject).toBe('Message 600');
  });

  it('fails every message of a group whose commit fails', async () => {
    const closed = await openSandboxDatabase(path.join(tempDir('sandbox-store'), 'sandbox.db'));
    await closed.destroy();
    const store = groupedSandboxInserts(closed);
    const results = await Promise.allSettled([store(message(1)), store(message(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
