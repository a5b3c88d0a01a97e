import Link from 'next/link';

export default function Forbidden() {
  return (
    <section data-testid="forbidden">
      <h1>Not allowed</h1>
      <p>
        You do not have access to this page. User management is for admins, and an SMTP profile private to someone else must be shared with you by an
        admin first.
      </p>
      <p>
        Go back to <Link href="/flows">your flows</Link> or <Link href="/settings/smtp">your SMTP settings</Link>.
      </p>
    </section>
  );
}
