'use client';
import { useRouter } from 'next/navigation';
import { ConfirmAction } from '@/components/confirm-action';

/** "Lift" on one row of the suppressions page: asks, then subscribes the contact again. */
export function LiftButton({ contactId, email, status }: { contactId: string; email: string; status: string }) {
  const router = useRouter();
  return (
    <ConfirmAction
      label="Lift"
      title={`Subscribe ${email} again?`}
      body={
        status === 'unsubscribed' ? (
          <p>This person unsubscribed. Lift it only if they asked to receive your emails again: campaigns will mail them from now on.</p>
        ) : (
          <p>Their mail server refused this address. Lift it only if the address works again: campaigns will mail it from now on.</p>
        )
      }
      confirmLabel="Subscribe again"
      request={{ method: 'DELETE', url: `/api/suppressions/${encodeURIComponent(contactId)}` }}
      onDone={() => router.refresh()}
      testId={`lift-${contactId}`}
    />
  );
}
