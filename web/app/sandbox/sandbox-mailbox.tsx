'use client';

import { useRouter } from 'next/navigation';
import { Fragment, useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { MailboxCleared } from '@/lib/api-types';

export interface MailboxMessage {
  id: number;
  receivedAt: string;
  from: string;
  to: string;
  replyTo: string;
  subject: string;
  messageId: string;
  envelopeFrom: string;
  envelopeTo: string;
  text: string;
}

/** `canClear`: admins only, since the mailbox holds everyone's messages. */
export function SandboxMailbox({ messages, canClear }: { messages: MailboxMessage[]; canClear: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function toggle(id: number) {
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  async function clear() {
    setBusy(true);
    setError(null);
    const result = await callApi<MailboxCleared>('DELETE', '/api/sandbox/messages');
    setBusy(false);
    if (!result.ok) {
      setError(result.error.message);
      return;
    }
    setOpen(new Set());
    router.refresh();
  }

  return (
    <>
      <div className="toolbar">
        <span className="muted">
          {messages.length} message{messages.length === 1 ? '' : 's'}
        </span>
        {canClear && (
          <button type="button" className="button danger" onClick={clear} disabled={busy || messages.length === 0} data-testid="clear-mailbox">
            {busy ? 'Clearing…' : 'Clear mailbox'}
          </button>
        )}
      </div>
      {error && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
      {messages.length === 0 ? (
        <p className="empty">The mailbox is empty. Start a run of a flow that sends with the Sandbox profile.</p>
      ) : (
        <table className="table table--mail">
          <thead>
            <tr>
              <th>Received</th>
              <th>From</th>
              <th>To</th>
              <th>Reply-To</th>
              <th>Subject</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => {
              const expanded = open.has(m.id);
              return (
                <Fragment key={m.id}>
                  <tr
                    className={`clickable ${expanded ? 'is-open' : ''}`}
                    onClick={() => toggle(m.id)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        toggle(m.id);
                      }
                    }}
                    tabIndex={0}
                    aria-expanded={expanded}
                    data-testid="sandbox-message"
                  >
                    <td className="nowrap">{m.receivedAt}</td>
                    <td>{m.from}</td>
                    <td>{m.to}</td>
                    <td>{m.replyTo || <span className="muted">—</span>}</td>
                    <td>
                      <span className="disclosure" aria-hidden>
                        {expanded ? '▾' : '▸'}
                      </span>{' '}
                      {m.subject || <em className="muted">(no subject)</em>}
                    </td>
                  </tr>
                  {expanded && (
                    <tr className="mail-body" data-testid="sandbox-message-body">
                      <td colSpan={5}>
                        <dl className="mail-meta">
                          <dt>Envelope</dt>
                          <dd>
                            {m.envelopeFrom} → {m.envelopeTo}
                          </dd>
                          <dt>Message-ID</dt>
                          <dd className="mono">{m.messageId}</dd>
                        </dl>
                        <pre>{m.text}</pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
