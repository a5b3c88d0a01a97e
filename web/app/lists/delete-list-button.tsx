'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';

/** Deletes the list after asking; a list a published flow tests stays, and the error names the flows. */
export function DeleteListButton({ listId, name }: { listId: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  async function onClick() {
    if (!window.confirm(`Delete the list "${name}"? Its contacts stay; runs already started for it keep their recipients.`)) return;
    const result = await callApi<null>('DELETE', `/api/lists/${listId}`);
    if (!result.ok) {
      setError(result.error.message);
      return;
    }
    setError(null);
    router.refresh();
  }
  return (
    <>
      <button type="button" className="button" onClick={onClick} data-testid={`delete-list-${listId}`}>
        Delete
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
