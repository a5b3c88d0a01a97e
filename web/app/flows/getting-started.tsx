/**
 * The first steps of a fresh install, above the flows list: each ticks itself from what exists (see
 * `gettingStarted`), links to where it is done, and the list goes away once all are done or dismissed.
 */
import Link from 'next/link';
import { cookies } from 'next/headers';
import type { AppUser } from '@server/auth';
import { allDone, gettingStarted } from '@server/getting-started';
import { SAMPLE_FLOW_ID } from '@server/seed';
import { GETTING_STARTED_DISMISSED_COOKIE } from '@/lib/getting-started';
import { getDb, getSandboxDb } from '@/lib/server';
import { DismissGettingStarted } from '@/app/flows/dismiss-getting-started';

interface Props {
  user: AppUser;
  /** The flows list as the user sees it: where "publish and start a run" and "draw a flow" link to. */
  flows: { id: string; latestVersion: number | null }[];
}

export async function GettingStarted({ user, flows }: Props) {
  if ((await cookies()).get(GETTING_STARTED_DISMISSED_COOKIE)?.value === user.id) return null;
  const done = await gettingStarted(await getDb(), await getSandboxDb(), user);
  if (allDone(done)) return null;
  const sample = flows.find((f) => f.id === SAMPLE_FLOW_ID);
  const published = flows.find((f) => f.latestVersion !== null);
  const steps = [
    {
      key: 'sending',
      done: done.sending,
      text: 'Set up sending: add your SMTP server, or try the built-in Sandbox with a test email',
      href: '/settings/smtp',
      link: 'SMTP settings',
    },
    { key: 'contacts', done: done.contacts, text: 'Add your contacts from a CSV file', href: '/contacts/import', link: 'Import contacts' },
    {
      key: 'flow',
      done: done.flow,
      text: 'Draw a flow: change the sample “Welcome series”, or start one with “New flow”',
      href: sample ? `/flows/${sample.id}` : null,
      link: 'Open the sample',
    },
    {
      key: 'run',
      done: done.run,
      text: 'Publish a flow and start a run',
      href: published ? `/flows/${published.id}/run?version=${published.latestVersion}` : (flows[0] && `/flows/${flows[0].id}`) || null,
      link: published ? 'Start a run' : 'Publish a flow',
    },
  ];
  const left = steps.filter((s) => !s.done).length;
  return (
    <section className="getting-started" aria-labelledby="getting-started-title" data-testid="getting-started">
      <div className="getting-started__head">
        <h2 id="getting-started-title">Getting started</h2>
        <DismissGettingStarted userId={user.id} />
      </div>
      <p className="muted">
        {left} of {steps.length} steps to go. Each ticks itself once it is done.
      </p>
      <ol className="getting-started__steps">
        {steps.map((step) => (
          <li key={step.key} className="getting-started__step" data-testid={`getting-started-${step.key}`} data-done={step.done}>
            <span className={step.done ? 'getting-started__tick done' : 'getting-started__tick'} role="img" aria-label={step.done ? 'done' : 'to do'}>
              {step.done ? '✓' : ''}
            </span>
            <span className={step.done ? 'muted' : ''}>{step.text}</span>
            {!step.done && step.href && <Link href={step.href}>{step.link} →</Link>}
          </li>
        ))}
      </ol>
    </section>
  );
}
