import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { temporalWorkflowUrl } from '@server/config';
import { contactDeliveriesFor } from '@server/access';
import { UserError } from '@server/errors';
import { AGENT_DEFAULT } from '@domain/senders';
import { resolveSender } from '@server/profiles';
import { DeliveryLog } from '@/components/delivery-log';
import { requireUser } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { getConfig, getDb } from '@/lib/server';
import { OneOffMessageForm } from '@/app/contacts/[id]/one-off-message-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Contact' };

export default async function ContactPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const db = await getDb();
  let found: Awaited<ReturnType<typeof contactDeliveriesFor>>;
  try {
    found = await contactDeliveriesFor(db, user, id);
  } catch (err) {
    if (err instanceof UserError && err.status === 404) notFound();
    throw err;
  }
  const { contact, deliveries } = found;
  const config = getConfig();

  // The profile a one-off message goes out with: the user's default, else the install default.
  let sender: { name: string; fromEmail: string } | undefined;
  let senderProblem: string | undefined;
  try {
    const row = await resolveSender(db, user, AGENT_DEFAULT);
    sender = { name: row.name, fromEmail: row.fromEmail };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    senderProblem = err.message;
  }
  // Journeys with a final outcome; the form keeps refreshing while one it started has none yet.
  const settled = [...new Set(deliveries.filter((d) => d.outcome !== 'retrying').map((d) => d.workflowId))];

  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link> / {contact.email}
      </p>
      <h1>{contact.name}</h1>
      <dl className="facts" data-testid="contact-facts">
        <dt>Email</dt>
        <dd>{contact.email}</dd>
        <dt>Added</dt>
        <dd>{formatTime(contact.createdAt)}</dd>
        <dt>Id</dt>
        <dd className="mono">{contact.id}</dd>
      </dl>

      <h2>Send a message</h2>
      <OneOffMessageForm contactId={contact.id} sender={sender} senderProblem={senderProblem} settledWorkflowIds={settled} />

      <h2>Delivery history</h2>
      <DeliveryLog
        attempts={deliveries}
        empty={`Nothing sent to ${contact.email} yet.`}
        source={{
          header: 'Flow',
          cell: (d) =>
            d.flowName === null ? (
              <span className="badge">one-off</span>
            ) : (
              <Link href={`/runs/${d.runId}`}>
                {d.flowName} <span className="muted">v{d.flowVersion}</span>
              </Link>
            ),
        }}
        last={{
          header: 'Workflow',
          className: 'nowrap',
          cell: (d) => (
            <a href={temporalWorkflowUrl(config, d.workflowId)} target="_blank" rel="noreferrer" data-testid="delivery-temporal-link">
              Open in Temporal ↗
            </a>
          ),
        }}
        testIds={{ table: 'delivery-history', row: 'delivery-row', outcome: 'delivery-outcome' }}
      />
    </section>
  );
}
