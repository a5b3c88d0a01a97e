import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { temporalWorkflowUrl } from '@server/config';
import { emptyCounts, getRun } from '@server/db/runs';
import { AutoRefresh } from '@/components/auto-refresh';
import { DeliveryLog } from '@/components/delivery-log';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  await requireUser();
  const { id } = await params;
  const run = await getRun(await getDb(), id);
  if (!run) notFound();
  const config = getConfig();
  const counts = emptyCounts();
  for (const c of run.contacts) counts[c.status] += 1;
  const emailOf = new Map(run.contacts.map((c) => [c.id, c.email]));
  const active = counts.scheduled > 0;

  return (
    <section>
      <AutoRefresh intervalMs={2000} active={active} />
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / {run.id}
      </p>
      <h1>
        <Link href={`/flows/${run.flowId}`}>{run.flowName}</Link> <span className="muted">v{run.version}</span>
      </h1>
      <p className="muted">
        Started {formatTime(run.createdAt)}
        {active ? ' · refreshing every 2 s while contacts are scheduled' : ''}
      </p>

      <dl className="counts" data-testid="run-counts">
        <div className="counts__item">
          <dt>Contacts</dt>
          <dd>{run.contacts.length}</dd>
        </div>
        {(['scheduled', 'sent', 'failed'] as const).map((status) => (
          <div key={status} className={`counts__item counts__item--${status}`} data-testid={`count-${status}`}>
            <dt>{status}</dt>
            <dd>{counts[status]}</dd>
          </div>
        ))}
      </dl>

      <h2>Contacts</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Updated</th>
            <th>Workflow</th>
          </tr>
        </thead>
        <tbody>
          {run.contacts.map((c) => (
            <tr key={c.id} data-testid={`run-contact-${c.id}`}>
              <td>{c.email}</td>
              <td>{c.name}</td>
              <td data-testid="status">
                <span className={`status status--${c.status}`}>{c.status}</span>
              </td>
              <td>{formatTime(c.updatedAt)}</td>
              <td>
                <a href={temporalWorkflowUrl(config, c.workflowId)} target="_blank" rel="noreferrer" data-testid="temporal-link">
                  Open in Temporal ↗
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Delivery log</h2>
      <DeliveryLog
        attempts={run.attempts}
        empty={`No delivery attempts yet${active ? ': contacts may still be waiting in a Delay.' : '.'}`}
        source={{ header: 'Contact', cell: (a) => emailOf.get(a.contactId) ?? a.contactId }}
        last={{ header: 'Message id', cell: (a) => a.messageId, className: 'mono small' }}
        testIds={{ row: 'attempt-row' }}
      />
    </section>
  );
}
