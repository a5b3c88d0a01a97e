'use client';
import { useRouter } from 'next/navigation';
import { ConfirmAction } from '@/components/confirm-action';

/** "Delete…" on a row of the users page (not your own): asks first, saying what passes to you. */
export function DeleteUser({ userId, email }: { userId: string; email: string }) {
  const router = useRouter();
  return (
    <ConfirmAction
      label="Delete…"
      title={`Delete ${email}?`}
      body={
        <>
          <p>They can no longer sign in, and are signed out everywhere now.</p>
          <p>Their flows, runs, private SMTP profiles and imports become yours, so their flows keep running and sending.</p>
        </>
      }
      confirmLabel="Delete user"
      danger
      request={{ method: 'DELETE', url: `/api/users/${encodeURIComponent(userId)}` }}
      onDone={() => router.refresh()}
      testId={`delete-user-${userId}`}
    />
  );
}
