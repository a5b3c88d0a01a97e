'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { ATTRIBUTE_TYPES, type AttributeType, type AttributeValue, attributeText, type SubscriptionStatus } from '@domain/contact';
import { callApi } from '@/lib/api-client';
import type { ContactResponse, UpdateContactBody } from '@/lib/api-types';

interface Props {
  contactId: string;
  name: string;
  attributes: Record<string, AttributeValue>;
  /** Every attribute name in use, with its type, so each value gets the right input. */
  types: Record<string, AttributeType>;
  status: SubscriptionStatus;
  isAdmin: boolean;
}

/** The contact's name and attributes, edited in place, and its subscription. Values are sent as typed; the server checks them. */
export function ContactForm({ contactId, name: initialName, attributes, types, status, isAdmin }: Props) {
  const router = useRouter();
  const [name, setName] = useState(initialName);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, attributeText(v)])),
  );
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const [fresh, setFresh] = useState({ name: '', type: 'text' as AttributeType, value: '' });
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function send(body: UpdateContactBody) {
    setBusy(true);
    setError(null);
    setSaved(false);
    const result = await callApi<ContactResponse>('PATCH', `/api/contacts/${contactId}`, body);
    setBusy(false);
    if (!result.ok) {
      setError(result.error.message);
      return false;
    }
    setSaved(true);
    router.refresh();
    return true;
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const changes: Record<string, AttributeValue | null> = {};
    const newTypes: Record<string, AttributeType> = {};
    for (const [k, v] of Object.entries(values)) {
      if (removed.has(k)) changes[k] = null;
      else if (v !== attributeText(attributes[k])) changes[k] = v;
    }
    if (fresh.name.trim()) {
      const key = fresh.name.trim();
      changes[key] = fresh.value;
      if (!types[key]) newTypes[key] = fresh.type;
    }
    const ok = await send({ name, attributes: changes, types: newTypes });
    if (ok) {
      // What the server now holds: removed rows go, the new one joins (the page's data refreshes beside it).
      setValues((vs) => {
        const next = Object.fromEntries(Object.entries(vs).filter(([k]) => !removed.has(k)));
        if (fresh.name.trim()) next[fresh.name.trim()] = fresh.value;
        return next;
      });
      setRemoved(new Set());
      setFresh({ name: '', type: 'text', value: '' });
    }
  }

  const input = (label: string, type: AttributeType | undefined, value: string, onValue: (v: string) => void, testId: string) =>
    type === 'boolean' ? (
      <select value={value} aria-label={label} onChange={(e) => onValue(e.currentTarget.value)} data-testid={testId}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    ) : (
      <input
        type={type === 'date' ? 'date' : 'text'}
        inputMode={type === 'number' ? 'decimal' : undefined}
        value={value}
        aria-label={label}
        onChange={(e) => onValue(e.currentTarget.value)}
        data-testid={testId}
      />
    );

  return (
    <>
      <form className="form card" onSubmit={onSubmit} noValidate data-testid="contact-form">
        <div className="field">
          <label htmlFor="contact-edit-name">Name</label>
          <input id="contact-edit-name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="contact-edit-name" />
        </div>
        <table className="table table--compact" data-testid="contact-attributes">
          <thead>
            <tr>
              <th>Attribute</th>
              <th>Type</th>
              <th>Value</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {Object.keys(values)
              .sort()
              .map((k) => (
                <tr key={k} data-testid={`attribute-row-${k}`} className={removed.has(k) ? 'muted' : undefined}>
                  <td className="mono">{`{{ ${k} }}`}</td>
                  <td>{types[k] ?? 'text'}</td>
                  <td>{input(`Value of ${k}`, types[k], values[k] ?? '', (v) => setValues((vs) => ({ ...vs, [k]: v })), `attribute-value-${k}`)}</td>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => setRemoved((r) => new Set(r.has(k) ? [...r].filter((x) => x !== k) : [...r, k]))}
                      data-testid={`attribute-remove-${k}`}
                    >
                      {removed.has(k) ? 'Keep' : 'Remove'}
                    </button>
                  </td>
                </tr>
              ))}
            <tr>
              <td>
                <input
                  aria-label="New attribute name"
                  placeholder="new attribute, e.g. plan"
                  value={fresh.name}
                  onChange={(e) => setFresh({ ...fresh, name: e.currentTarget.value })}
                  data-testid="attribute-new-name"
                />
              </td>
              <td>
                <select
                  aria-label="New attribute type"
                  value={types[fresh.name.trim()] ?? fresh.type}
                  disabled={Boolean(types[fresh.name.trim()])}
                  onChange={(e) => setFresh({ ...fresh, type: e.currentTarget.value as AttributeType })}
                  data-testid="attribute-new-type"
                >
                  {ATTRIBUTE_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                {input(
                  'New attribute value',
                  types[fresh.name.trim()] ?? fresh.type,
                  fresh.value,
                  (v) => setFresh({ ...fresh, value: v }),
                  'attribute-new-value',
                )}
              </td>
              <td />
            </tr>
          </tbody>
        </table>
        <div className="form__actions">
          <button type="submit" className="button primary" disabled={busy} data-testid="contact-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
        {error && (
          <p className="notice notice--error" role="alert" data-testid="contact-error">
            {error}
          </p>
        )}
        {saved && !error && (
          <p className="notice notice--success" role="status" data-testid="contact-saved">
            Saved.
          </p>
        )}
      </form>
      <div className="button-row">
        {status === 'subscribed' ? (
          <button type="button" className="button" disabled={busy} onClick={() => send({ status: 'unsubscribed' })} data-testid="contact-unsubscribe">
            Unsubscribe
          </button>
        ) : isAdmin ? (
          <button type="button" className="button" disabled={busy} onClick={() => send({ status: 'subscribed' })} data-testid="contact-resubscribe">
            {status === 'suppressed' ? 'Lift the suppression' : 'Subscribe again'}
          </button>
        ) : null}
      </div>
    </>
  );
}
