import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { temporalWorkflowUrl } from '../../../../activities/config';
import { getContact, listContactDeliveries } from '../../../../activities/db';
import { UserError } from '../../../../activities/errors';
import { AGENT_DEFAULT, resolveSender } from '../../../../activities/smtp-profiles';
import { requireUser } from '../../../lib/auth';
import { formatTime } from '../../../lib/format';
import { getConfig, getDb } from '../../../lib/server';
import { OneOffMessageForm } from './one-off-message-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Contact' };

export default async function ContactPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const db = await getDb();
  const contact = await getContact(db, id);
  if (!contact) notFound();
  const deliveries = await listContactDeliveries(db, id);
  const config = getConfig();

  // The profile a one-off message goes out with: the user's default, else the install default.
  let sender: { name: string; fromEmail: string } | undefined;
  let senderProblem: string | undefined;
  try {
    const row = await resolveSender(db, user, AGENT_DEFAULT);
    sender = { name: row.name, fromEmail: row.from_email };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    senderProblem = err.message;
  }
  // Journeys with a final outcome; the form keeps refreshing while one it started has none yet.
  const settled = [...new Set(deliveries.filter((d) => d.outcome !== 'retrying').map((d) => d.workflow_id))];

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
        <dd>{formatTime(contact.created_at)}</dd>
        <dt>Id</dt>
        <dd className="mono">{contact.id}</dd>
      </dl>

      <h2>Send a message</h2>
      <OneOffMessageForm contactId={contact.id} sender={sender} senderProblem={senderProblem} settledWorkflowIds={settled} />

      <h2>Delivery history</h2>
      {deliveries.length === 0 ? (
        <p className="empty">Nothing sent to {contact.email} yet.</p>
      ) : (
        <table className="table table--log" data-testid="delivery-history">
          <thead>
            <tr>
              <th>Time</th>
              <th>Flow</th>
              <th>Node</th>
              <th>Attempt</th>
              <th>Outcome</th>
              <th>SMTP code</th>
              <th>SMTP reply</th>
              <th>Workflow</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-workflow-id={d.workflow_id}>
                <td className="nowrap">{formatTime(d.at)}</td>
                <td>
                  {d.flow_name === null ? (
                    <span className="badge">one-off</span>
                  ) : (
                    <Link href={`/runs/${d.run_id}`}>
                      {d.flow_name} <span className="muted">v{d.flow_version}</span>
                    </Link>
                  )}
                </td>
                <td>
                  <code>{d.node_id}</code>
                </td>
                <td>#{d.attempt}</td>
                <td>
                  <span className={`status status--${d.outcome}`} data-testid="delivery-outcome">
                    {d.outcome}
                  </span>
                </td>
                <td>{d.smtp_code ?? '—'}</td>
                <td className="reply">{d.smtp_reply}</td>
                <td className="nowrap">
                  <a href={temporalWorkflowUrl(config, d.workflow_id)} target="_blank" rel="noreferrer" data-testid="delivery-temporal-link">
                    Open in Temporal ↗
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
