'use client';
/**
 * Chosen contacts for a run: a search (email or name, `attribute:value` an attribute) asks the server for
 * one page of matches; each one chosen shows as a chip that removes it. No long table to scroll.
 */
import { useEffect, useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { ContactPage } from '@/lib/api-types';
import { useFormatCount } from '@/components/count';

export interface ChosenContact {
  id: string;
  email: string;
  name: string;
  /** Unsubscribed or suppressed contacts are skipped by the run: the review counts them apart. */
  subscribed: boolean;
}

const PAGE = 10;

export function ContactPicker({ chosen, onChange }: { chosen: ChosenContact[]; onChange: (next: ChosenContact[]) => void }) {
  const formatCount = useFormatCount();
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [found, setFound] = useState<{ items: ChosenContact[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const q = query.trim();
    const timer = setTimeout(() => {
      const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE), ...(q ? { q } : {}) });
      callApi<ContactPage>('GET', `/api/contacts?${params}`).then((result) => {
        if (!current) return;
        if (!result.ok) return setError(result.error.message);
        setError(null);
        setFound({
          items: result.data.contacts.map((c) => ({ id: c.id, email: c.email, name: c.name, subscribed: c.status === 'subscribed' })),
          total: result.data.total,
        });
      });
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, offset]);

  const isChosen = new Set(chosen.map((c) => c.id));
  return (
    <div className="contact-picker" data-testid="contact-picker">
      {chosen.length > 0 && (
        <ul className="chips" aria-label="Chosen contacts" data-testid="chosen-contacts">
          {chosen.map((c) => (
            <li key={c.id} className="chip" data-testid="chosen-contact">
              {c.name ? `${c.name} <${c.email}>` : c.email}
              {!c.subscribed && <span className="muted"> (not subscribed: skipped)</span>}
              <button type="button" aria-label={`Remove ${c.email}`} onClick={() => onChange(chosen.filter((x) => x.id !== c.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        type="search"
        aria-label="Search contacts by email or name"
        placeholder="Search contacts by email or name"
        value={query}
        onChange={(e) => {
          setQuery(e.currentTarget.value);
          setOffset(0);
        }}
        data-testid="contact-search"
      />
      {error && <p className="field-error">{error}</p>}
      {found && (
        <>
          <ul className="picker-results" data-testid="contact-results">
            {found.items.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className="button"
                  disabled={isChosen.has(c.id)}
                  onClick={() => onChange([...chosen, c])}
                  data-testid={`choose-contact-${c.id}`}
                >
                  {isChosen.has(c.id) ? 'Chosen' : 'Add'}
                </button>{' '}
                {c.email}
                {c.name ? <span className="muted"> {c.name}</span> : null}
                {!c.subscribed && <span className="muted"> (not subscribed)</span>}
              </li>
            ))}
          </ul>
          <p className="muted">
            {found.total === 0
              ? 'No contact matches.'
              : `${formatCount(offset + 1)}–${formatCount(offset + found.items.length)} of ${formatCount(found.total)}`}{' '}
            {offset > 0 && (
              <button type="button" className="button" onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous
              </button>
            )}{' '}
            {offset + PAGE < found.total && (
              <button type="button" className="button" onClick={() => setOffset(offset + PAGE)}>
                Next
              </button>
            )}
          </p>
        </>
      )}
    </div>
  );
}
