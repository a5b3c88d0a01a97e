import type { Metadata } from 'next';
import Link from 'next/link';
import { mayOpenTemporal } from '@server/access';
import { temporalWorkflowUrl } from '@server/config';
import { recipientStory } from '@server/runs/story';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Recipient' };

const KIND_LABELS = {
  entered: 'Entered',
  delay: 'Delay',
  window: 'Send window',
  branch: 'Branch',
  attempt: 'Send',
  webhook: 'Webhook',
  wait: 'Wait until',
} as const;

/** One recipient's story in one run: every decision and attempt, in order, and their own retry workflow. */
export default async function RecipientStoryPage({ params }: { params: Promise<{ id: string; contactId: string }> }) {
  const user = await requireUser();
  const { id, contactId } = await params;
  const story = await orNotFound(recipientStory(await getDb(), user, id, decodeURIComponent(contactId)));
  const { run, now } = story;
  const config = getConfig();
  const temporal = mayOpenTemporal(user);
  return (
    <section>
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / <Link href={`/runs/${run.id}`}>{run.id}</Link> / {story.contactId}
      </p>
      <h1>
        {story.email ?? story.contactId} {story.name ? <span className="muted">{story.name}</span> : null}
      </h1>
      <p data-testid="story-now">
        In <Link href={`/runs/${run.id}`}>{run.flowName}</Link> <span className="muted">v{run.version}</span>:{' '}
        <span className={`status status--${now.state}`}>{now.state}</span>
        {now.step ? ` at ${now.step}` : ''}
        {now.movesOnAt ? `, moves on ${formatTime(now.movesOnAt)}` : ''}.{' '}
        {story.retryWorkflowId && temporal ? (
          <a href={temporalWorkflowUrl(config, story.retryWorkflowId)} target="_blank" rel="noreferrer" data-testid="story-retry-link">
            Their retry workflow in Temporal ↗
          </a>
        ) : null}
      </p>
      <ol className="story" data-testid="story">
        {story.entries.map((e) => (
          <li key={`${e.kind}-${e.at}-${e.step}-${e.text}`} className="story-entry" data-testid={`story-${e.kind}`}>
            <span className="nowrap muted">{formatTime(e.at)}</span> <strong>{KIND_LABELS[e.kind]}</strong>
            {e.step ? <span className="muted"> · {e.step}</span> : null}
            <div>{e.text}</div>
            {e.reply ? (
              <div data-testid="story-reply">
                <code className="story-reply">
                  {/* Most replies start with their code already. */}
                  {e.reply.code === null || e.reply.text.startsWith(String(e.reply.code)) ? e.reply.text : `${e.reply.code} ${e.reply.text}`}
                </code>
                <div className="muted">{e.reply.advice}</div>
              </div>
            ) : null}
            {e.workflowId?.startsWith('retry:') && temporal ? (
              <a href={temporalWorkflowUrl(config, e.workflowId)} target="_blank" rel="noreferrer">
                In their retry workflow ↗
              </a>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
