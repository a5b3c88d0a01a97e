'use client';

import { useRouter } from 'next/navigation';
import type { ReactNode } from 'react';

/** A table row that opens `href` when clicked anywhere; the row's own link keeps it keyboard-reachable. */
export function ClickableRow({ href, testId, children }: { href: string; testId: string; children: ReactNode }) {
  const router = useRouter();
  return (
    <tr
      className="clickable"
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a, button, input')) return;
        router.push(href);
      }}
      data-testid={testId}
    >
      {children}
    </tr>
  );
}
