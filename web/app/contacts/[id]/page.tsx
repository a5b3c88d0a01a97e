import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { temporalWorkflowUrl } from '@server/config';
import { listAttributeDefinitions } from '@server/db/contacts';
import { contactDeliveriesFor, visibleRunPlans, contactListsFor, mayMailUnsubscribed, mayOpenTemporal } from '@server/access';
import { UserError } from '@server/errors';
import { stepTitle } from '@domain/flow/step-title';
import { AGENT_DEFAULT } from '@domain/senders';
import { resolveSender } from '@server/profiles';
import { DeliveryLog } from '@/components/delivery-log';
import { requireUser } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { getConfig, getDb } from '@/lib/server';
import { ContactForm } from '@/app/contacts/[id]/contact-form';
import { ContactLists } from '@/app/contacts/[id]/contact-lists';
import { DeleteContact } from '@/app/contacts/[id]/delete-contact';
import { OneOffMessageForm } from '@/app/contacts/[id]/one-off-message-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Contact' };

/** A one-off message's only step, as its flow names it (server/one-off.ts). */
const ONE_OFF_STEP = 'One-off message';
const WEBHOOK_OUTCOME_TEXT = { succeeded: 'succeeded', retry: 'retryable', failed: 'failed' } as const;

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
  const { contact, deliveries, webhookCalls } = found;
  const [definitions, { lists, memberOf }] = await Promise.all([listAttributeDefinitions(db), contactListsFor(db, user, id)]);
  const config = getConfig();
  // Steps show by the names given in the editor, carried in each run's plan.
  const plans = await visibleRunPlans(db, user, [...deliveries.map((d) => d.runId), ...webhookCalls.map((c) => c.runId)]);

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
      <h1>{contact.name || contact.email}</h1>
      <dl className="facts" data-testid="contact-facts">
        <dt>Email</dt>
        <dd>{contact.email}</dd>
        <dt>Subscription</dt>
        <dd data-testid="contact-subscription">
          <span className="badge">{contact.status}</span>
          {contact.statusReason && (
            <span className="muted">
              {' '}
              {contact.statusReason}
              {contact.statusAt ? `, ${formatTime(contact.statusAt)}` : ''}
            </span>
          )}
        </dd>
        <dt>Added</dt>
        <dd>{formatTime(contact.createdAt)}</dd>
        <dt>Id</dt>
        <dd className="mono">{contact.id}</dd>
      </dl>

      <h2>Name and attributes</h2>
      <p className="hint">
        Messages can say <span className="mono">{'{{ name }}'}</span>, <span className="mono">{'{{ email }}'}</span> or any attribute, e.g.{' '}
        <span className="mono">{'{{ plan | default: "friend" }}'}</span>. A <span className="mono">timezone</span> attribute holds an IANA zone such
        as Europe/Paris.
      </p>
      <ContactForm
        contactId={contact.id}
        name={contact.name}
        attributes={contact.attributes}
        types={Object.fromEntries(definitions.map((d) => [d.name, d.type]))}
        status={contact.status}
        isAdmin={user.role === 'admin'}
      />

      <h2>Lists</h2>
      <ContactLists contactId={contact.id} lists={lists.map((l) => ({ id: l.id, name: l.name }))} memberOf={memberOf} />

      <h2>Send a message</h2>
      <OneOffMessageForm
        contactId={contact.id}
        sender={sender}
        senderProblem={senderProblem}
        settledWorkflowIds={settled}
        status={contact.status}
        mayMailUnsubscribed={mayMailUnsubscribed(user)}
      />

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
              <>
                <Link href={`/runs/${d.runId}`}>
                  {d.flowName} <span className="muted">v{d.flowVersion}</span>
                </Link>{' '}
                <Link href={`/runs/${d.runId}/recipients/${encodeURIComponent(contact.id)}`} data-testid="delivery-story-link">
                  story
                </Link>
              </>
            ),
        }}
        last={{
          header: 'Workflow',
          className: 'nowrap',
          cell: (d) =>
            mayOpenTemporal(user) ? (
              <a href={temporalWorkflowUrl(config, d.workflowId)} target="_blank" rel="noreferrer" data-testid="delivery-temporal-link">
                Open in Temporal ↗
              </a>
            ) : (
              <span className="muted">—</span>
            ),
        }}
        testIds={{ table: 'delivery-history', row: 'delivery-row', outcome: 'delivery-outcome' }}
        stepName={(d) => (d.flowName === null ? ONE_OFF_STEP : stepTitle(plans.get(d.runId)?.steps[d.nodeId], d.nodeId))}
      />

      {webhookCalls.length > 0 && (
        <>
          <h2>Webhook calls</h2>
          <table className="table" data-testid="webhook-calls">
            <thead>
              <tr>
                <th>When</th>
                <th>Flow</th>
                <th>Step</th>
                <th>Attempt</th>
                <th>Answer</th>
              </tr>
            </thead>
            <tbody>
              {webhookCalls.map((c) => (
                <tr key={`${c.runId}|${c.nodeId}|${c.attempt}`} data-testid="webhook-call">
                  <td className="nowrap">{formatTime(c.at)}</td>
                  <td>{c.flowName === null ? <span className="muted">—</span> : `${c.flowName} v${c.flowVersion ?? '?'}`}</td>
                  <td>{stepTitle(plans.get(c.runId)?.steps[c.nodeId], c.nodeId)}</td>
                  <td>{c.attempt}</td>
                  <td>
                    <span className="badge">{WEBHOOK_OUTCOME_TEXT[c.outcome]}</span> {c.detail}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      {user.role === 'admin' && (
        <>
          <h2>Delete</h2>
          <p className="hint">For a person who asked to be forgotten: their data leaves Dripline; the delivery log keeps anonymous rows.</p>
          <DeleteContact contactId={contact.id} email={contact.email} />
        </>
      )}
    </section>
  );
}
