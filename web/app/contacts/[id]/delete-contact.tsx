'use client';
import { useRouter } from 'next/navigation';
import { ConfirmAction } from '@/components/confirm-action';

/** "Delete contact…" on the contact page (admins): asks first, then goes back to the contacts list. */
export function DeleteContact({ contactId, email }: { contactId: string; email: string }) {
  const router = useRouter();
  return (
    <ConfirmAction
      label="Delete contact…"
      title={`Delete ${email}?`}
      body={
        <>
          <p>Their attributes, list memberships and journeys go now, and cannot be brought back. Nothing more is sent to them.</p>
          <p className="muted">The delivery log keeps what was sent, without their address.</p>
        </>
      }
      confirmLabel="Delete contact"
      danger
      request={{ method: 'DELETE', url: `/api/contacts/${encodeURIComponent(contactId)}` }}
      onDone={() => {
        router.push('/contacts');
        router.refresh();
      }}
      testId="delete-contact"
    />
  );
}
