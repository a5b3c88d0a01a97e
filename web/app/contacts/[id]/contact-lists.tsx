'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { ChangeListMembersBody, ListResponse } from '@/lib/api-types';

/** The static lists, each with a checkbox: ticking one adds the contact to it, unticking removes it. */
export function ContactLists({ contactId, lists, memberOf }: { contactId: string; lists: { id: string; name: string }[]; memberOf: string[] }) {
  const router = useRouter();
  const [on, setOn] = useState(new Set(memberOf));
  const [error, setError] = useState<string | null>(null);

  const mark = (listId: string, add: boolean) => setOn((s) => new Set(add ? [...s, listId] : [...s].filter((x) => x !== listId)));

  async function toggle(listId: string, add: boolean) {
    setError(null);
    // Ticked at once; put back if the server says no.
    mark(listId, add);
    const body: ChangeListMembersBody = add ? { add: [contactId] } : { remove: [contactId] };
    const result = await callApi<ListResponse>('POST', `/api/lists/${listId}/members`, body);
    if (!result.ok) {
      mark(listId, !add);
      setError(result.error.message);
      return;
    }
    router.refresh();
  }

  if (lists.length === 0) return <p className="muted">No lists yet; create one on the Lists page.</p>;
  return (
    <div data-testid="contact-lists">
      {lists.map((l) => (
        <label key={l.id} className="check-field">
          <input
            type="checkbox"
            checked={on.has(l.id)}
            onChange={(e) => toggle(l.id, e.currentTarget.checked)}
            data-testid={`contact-list-${l.id}`}
          />{' '}
          {l.name}
        </label>
      ))}
      {error && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
