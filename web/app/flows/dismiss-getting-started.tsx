'use client';

import { useRouter } from 'next/navigation';
import { GETTING_STARTED_DISMISSED_COOKIE } from '@/lib/getting-started';

const YEAR_SECONDS = 365 * 24 * 60 * 60;

export function DismissGettingStarted({ userId }: { userId: string }) {
  const router = useRouter();
  const dismiss = () => {
    // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie the page reads; nothing secret.
    document.cookie = `${GETTING_STARTED_DISMISSED_COOKIE}=${encodeURIComponent(userId)}; path=/; max-age=${YEAR_SECONDS}; samesite=lax`;
    router.refresh();
  };
  return (
    <button type="button" className="button" onClick={dismiss} data-testid="dismiss-getting-started">
      Dismiss
    </button>
  );
}
