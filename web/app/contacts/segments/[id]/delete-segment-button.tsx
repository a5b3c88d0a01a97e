'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';

/** Deletes the segment after asking; runs already started for it keep their recipients. */
export function DeleteSegmentButton({ segmentId }: { segmentId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  async function onClick() {
    if (!window.confirm('Delete this segment? Runs already started for it keep their recipients.')) return;
    const result = await callApi<null>('DELETE', `/api/segments/${segmentId}`);
    if (!result.ok) {
      setError(result.error.message);
      return;
    }
    router.push('/contacts/segments');
    router.refresh();
  }
  return (
    <>
      <button type="button" className="button" onClick={onClick} data-testid="delete-segment">
        Delete
      </button>
      {error && <span className="field-error">{error}</span>}
    </>
  );
}
