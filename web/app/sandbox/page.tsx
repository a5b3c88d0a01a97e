import type { Metadata } from 'next';
import { sandboxMessagesFor } from '@server/access';
import { AutoRefresh } from '@/components/auto-refresh';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb, getSandboxDb } from '@/lib/server';
import { SandboxMailbox } from '@/app/sandbox/sandbox-mailbox';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sandbox mailbox' };

export default async function SandboxPage() {
  const user = await requireUser();
  const messages = await sandboxMessagesFor(await getDb(), await getSandboxDb(), user);
  return (
    <section>
      <AutoRefresh intervalMs={3000} />
      <div className="page-head">
        <h1>Sandbox mailbox</h1>
      </div>
      <p className="muted">
        Everything sent through the Sandbox SMTP profile lands here and nowhere else, kept for 7 days (the newest 10,000 messages, 500 MB at most)
        {user.role === 'admin' ? '' : ' (you see the messages of your own runs, one-off messages and test emails)'}. Refreshes every 3 s; open a
        message for its HTML, its text, its headers and its source.
      </p>
      <SandboxMailbox
        canClear={user.role === 'admin'}
        messages={messages.map((m) => ({
          id: m.id,
          receivedAt: formatTime(m.receivedAt),
          from: m.fromHeader,
          to: m.toHeader,
          replyTo: m.replyTo,
          subject: m.subject,
          messageId: m.messageId,
          envelopeFrom: m.envelopeFrom,
          envelopeTo: m.envelopeTo,
          size: m.size,
        }))}
      />
    </section>
  );
}
