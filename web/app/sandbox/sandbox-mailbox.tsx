'use client';

import { useRouter } from 'next/navigation';
import { Fragment, useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { MailboxCleared, SandboxMessageView } from '@/lib/api-types';
import { MessageView } from '@/app/sandbox/message-view';
import { Count } from '@/components/count';

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
  /** The raw source's size in bytes. */
  size: number;
}

const formatSize = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** An opened message, or why it could not be loaded. */
type Loaded = { message: SandboxMessageView } | { error: string };

/** `canClear`: admins only, since the mailbox holds everyone's messages. */
export function SandboxMailbox({ messages, canClear }: { messages: MailboxMessage[]; canClear: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Bodies are loaded one at a time, when a message is opened: the list itself carries none.
  const [loaded, setLoaded] = useState<ReadonlyMap<number, Loaded>>(() => new Map());

  function toggle(id: number) {
    const opening = !open.has(id);
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
    if (opening && !loaded.has(id)) {
      void callApi<SandboxMessageView>('GET', `/api/sandbox/messages/${id}`).then((r) =>
        setLoaded((prev) => new Map(prev).set(id, r.ok ? { message: r.data } : { error: r.error.message })),
      );
    }
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
          <Count value={messages.length} /> message{messages.length === 1 ? '' : 's'}
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
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => {
              const expanded = open.has(m.id);
              return (
                <Fragment key={m.id}>
                  {/* The row opens on a click anywhere; for the keyboard and screen readers, the subject is the button. */}
                  <tr className={`clickable ${expanded ? 'is-open' : ''}`} onClick={() => toggle(m.id)} data-testid="sandbox-message">
                    <td className="nowrap">{m.receivedAt}</td>
                    <td>{m.from}</td>
                    <td>{m.to}</td>
                    <td>{m.replyTo || <span className="muted">—</span>}</td>
                    <td>
                      <button
                        type="button"
                        className="link-button mail-subject"
                        aria-expanded={expanded}
                        onClick={(e) => {
                          e.stopPropagation();
                          toggle(m.id);
                        }}
                      >
                        <span className="disclosure" aria-hidden>
                          {expanded ? '▾' : '▸'}
                        </span>{' '}
                        {m.subject || <em className="muted">(no subject)</em>}
                      </button>
                    </td>
                    <td className="nowrap">{formatSize(m.size)}</td>
                  </tr>
                  {expanded && (
                    <tr className="mail-body" data-testid="sandbox-message-body">
                      <td colSpan={6}>
                        <dl className="mail-meta">
                          <dt>Envelope</dt>
                          <dd>
                            {m.envelopeFrom} → {m.envelopeTo}
                          </dd>
                          <dt>Message-ID</dt>
                          <dd className="mono">{m.messageId}</dd>
                        </dl>
                        <OpenedMessage loaded={loaded.get(m.id)} />
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

function OpenedMessage({ loaded }: { loaded: Loaded | undefined }) {
  if (!loaded) return <p className="muted">Loading…</p>;
  if ('error' in loaded)
    return (
      <p className="notice notice--error" role="alert">
        {loaded.error}
      </p>
    );
  return <MessageView message={loaded.message} />;
}
