import type { Metadata } from 'next';
import Link from 'next/link';
import { journeyReport } from '@server/runs/journeys';
import { StepCanvas } from '@/components/step-canvas';
import { Count } from '@/components/count';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Flow report' };

/** The report of the journeys an API event or a list's new member started: per version and day, and per step. */
export default async function FlowReportPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const { flow, days, versions } = await orNotFound(journeyReport(await getDb(), user, id));
  return (
    <section>
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / <Link href={`/flows/${flow.id}`}>{flow.name}</Link> / report
      </p>
      <h1>{flow.name}: journeys</h1>
      <p className="muted">
        Journeys started by an API event or by joining a list, by the day they started. A campaign's runs have their own report on each run's page.
        Bounces that arrive later, as an email after a server accepted a message, are not counted here: Dripline sees only each server's reply while
        it sends.
      </p>
      {days.length === 0 ? (
        <p className="empty" data-testid="journeys-empty">
          No journeys yet: they start when an API event or a list's new member reaches a published version.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="journey-days">
            <thead>
              <tr>
                <th>Day (UTC)</th>
                <th>Version</th>
                <th>Journeys started</th>
                <th>Messages accepted</th>
                <th>Failed</th>
                <th>Reached the goal</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={`${d.version}-${d.day}`} data-testid={`journey-day-${d.version}-${d.day}`}>
                  <td>{d.day}</td>
                  <td>v{d.version}</td>
                  <td>
                    <Count value={d.started} />
                  </td>
                  <td>
                    <Count value={d.sent} />
                  </td>
                  <td>
                    <Count value={d.failed} />
                  </td>
                  <td>
                    <Count value={d.converted} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {versions.map((v) => (
        <section key={v.version} className="run-report" data-testid={`journey-version-${v.version}`}>
          <h2>Version {v.version}, each Send step</h2>
          <StepCanvas graph={v.graph} report={v.steps} senders={[]} />
          {v.converted.length > 0 && (
            <ul data-testid="journey-converted">
              {v.converted.map((c) => (
                <li key={c.step}>
                  <Count value={c.n} /> reached the goal while at {c.step}
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </section>
  );
}
