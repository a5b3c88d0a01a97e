'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { MAX_SUBJECT } from '@domain/flow/nodes/send-email';
import { callApi } from '@/lib/api-client';
import { CharacterCount } from '@/components/character-count';
import type { MessageQueued, SendMessageBody } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';

interface Props {
  contactId: string;
  /** The profile the message goes out with; absent when the user has none. */
  sender?: { name: string; fromEmail: string } | undefined;
  senderProblem?: string | undefined;
  /** Workflows with a final delivery outcome (sent or failed) in the history below. */
  settledWorkflowIds: string[];
  /** The contact's subscription status: one who is not subscribed gets a message only from an admin who confirms it. */
  status: string;
  mayMailUnsubscribed: boolean;
}

export function OneOffMessageForm({ contactId, sender, senderProblem, settledWorkflowIds, status, mayMailUnsubscribed }: Props) {
  const router = useRouter();
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<string[]>([]);
  const [confirmed, setConfirmed] = useState(false);
  const unsubscribed = status !== 'subscribed';
  const blocked = unsubscribed && (!mayMailUnsubscribed || !confirmed);

  const waiting = pending.filter((w) => !settledWorkflowIds.includes(w));

  // Refresh the history every 2 s until each message sent from here has a final outcome.
  useEffect(() => {
    if (waiting.length === 0) return;
    const timer = setInterval(() => router.refresh(), 2000);
    return () => clearInterval(timer);
  }, [router, waiting.length]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setBusy(true);
    const result = await callApi<MessageQueued>('POST', `/api/contacts/${encodeURIComponent(contactId)}/send`, {
      subject,
      text,
      ...(unsubscribed ? { confirmUnsubscribed: confirmed } : {}),
    } satisfies SendMessageBody);
    setBusy(false);
    if (result.ok) {
      setPending((p) => [...p, result.data.workflowId]);
      setSubject('');
      setText('');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields);
    if (!fields.subject && !fields.text) setFormError(result.error.message);
  }

  return (
    <form className="form card oneoff" onSubmit={onSubmit} noValidate data-testid="oneoff-form">
      <p className="oneoff__sender" data-testid="oneoff-sender">
        {sender ? (
          <>
            Sends with: <strong>{sender.name}</strong> <span className="muted">({sender.fromEmail})</span> ·{' '}
            <Link href="/settings/smtp">SMTP settings</Link>
          </>
        ) : (
          <span className="error-text">{senderProblem ?? 'You have no default SMTP profile; ask an admin to set one for you.'}</span>
        )}
      </p>
      <p className="hint" data-testid="oneoff-transactional">
        A one-off message is transactional: it carries no unsubscribe link. Only an admin may send one to a contact who is not subscribed.
      </p>
      {unsubscribed &&
        (mayMailUnsubscribed ? (
          <label className="check-field notice notice--warning" data-testid="oneoff-confirm-unsubscribed">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} /> This contact is {status}. Send them
            this message anyway.
          </label>
        ) : (
          <p className="notice notice--warning" data-testid="oneoff-unsubscribed">
            This contact is {status}: only an admin may send them a one-off message.
          </p>
        ))}
      <div className="field">
        <label htmlFor="oneoff-subject">Subject</label>
        <input
          id="oneoff-subject"
          type="text"
          value={subject}
          onChange={(e) => setSubject(e.currentTarget.value)}
          aria-invalid={errors.subject ? true : undefined}
          data-testid="oneoff-subject"
        />
        {errors.subject && (
          <p className="field-error" data-testid="oneoff-error-subject">
            {errors.subject}
          </p>
        )}
        <CharacterCount value={subject} max={MAX_SUBJECT} over={!errors.subject} testId="oneoff-subject-count" />
      </div>
      <div className="field">
        <label htmlFor="oneoff-text">Message</label>
        <textarea
          id="oneoff-text"
          rows={6}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          aria-invalid={errors.text ? true : undefined}
          data-testid="oneoff-text"
        />
        {errors.text && (
          <p className="field-error" data-testid="oneoff-error-text">
            {errors.text}
          </p>
        )}
        <p className="hint">
          Plain text. <code>{'{{name}}'}</code> and <code>{'{{email}}'}</code> are replaced with the contact’s name and email.
        </p>
      </div>
      {formError && (
        <p className="notice notice--error" role="alert" data-testid="oneoff-error">
          {formError}
        </p>
      )}
      {pending.length > 0 && (
        <p className={`notice ${waiting.length > 0 ? 'notice--info' : 'notice--success'}`} role="status" data-testid="oneoff-status">
          {waiting.length > 0 ? 'Queued: sending… the delivery history below refreshes until it is done.' : 'Done: see the delivery history below.'}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy || !sender || blocked} data-testid="oneoff-send">
          {busy ? 'Sending…' : 'Send message'}
        </button>
      </div>
    </form>
  );
}
