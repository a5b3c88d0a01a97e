'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { ChangeListMembersBody, ContactPage, ListResponse } from '@/lib/api-types';

const MATCHES = 8;

async function changeMembers(listId: string, body: ChangeListMembersBody) {
  return callApi<ListResponse>('POST', `/api/lists/${encodeURIComponent(listId)}/members`, body);
}

/** Finds contacts by email (or name) and adds one to the list with a click. */
export function AddListMember({ listId }: { listId: string }) {
  const router = useRouter();
  const [q, setQ] = useState('');
  const [matches, setMatches] = useState<ContactPage['contacts'] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function find(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (q.trim() === '') return setError('type an email (or part of one) to find the contact');
    const result = await callApi<ContactPage>('GET', `/api/contacts?q=${encodeURIComponent(q.trim())}&limit=${MATCHES}`);
    if (!result.ok) return setError(result.error.message);
    setMatches(result.data.contacts);
  }

  async function add(contactId: string) {
    const result = await changeMembers(listId, { add: [contactId] });
    if (!result.ok) return setError(result.error.message);
    setMatches((all) => all?.filter((c) => c.id !== contactId) ?? null);
    router.refresh();
  }

  return (
    <div className="card" data-testid="list-add">
      <form className="form form--row" onSubmit={find} aria-label="Add a contact to the list">
        <div className="field">
          <label htmlFor="list-add-search">Add a contact</label>
          <input
            id="list-add-search"
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="ada@example.com"
            data-testid="list-add-search"
          />
        </div>
        <div className="form__actions">
          <button type="submit" className="button" data-testid="list-add-find">
            Find
          </button>
        </div>
      </form>
      {matches && matches.length === 0 && <p className="empty">No contact matches “{q}”.</p>}
      {matches && matches.length > 0 && (
        <ul data-testid="list-add-matches">
          {matches.map((c) => (
            <li key={c.id}>
              {c.email}
              {c.name ? ` (${c.name})` : ''}{' '}
              <button type="button" className="button" onClick={() => void add(c.id)} data-testid={`list-add-${c.id}`}>
                Add
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Takes one contact off the list (the contact itself stays). */
export function RemoveListMember({ listId, contact }: { listId: string; contact: { id: string; email: string } }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  async function remove() {
    const result = await changeMembers(listId, { remove: [contact.id] });
    if (!result.ok) return setError(result.error.message);
    setError(null);
    router.refresh();
  }
  return (
    <>
      <button
        type="button"
        className="button"
        onClick={() => void remove()}
        aria-label={`Remove ${contact.email} from the list`}
        data-testid={`list-remove-${contact.id}`}
      >
        Remove
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
