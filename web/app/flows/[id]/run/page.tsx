import type { Metadata } from 'next';
import Link from 'next/link';
import { diffFlows, hasChanges, summarizeDiff } from '@domain/flow/diff';
import { visibleFlow, visibleFlowVersion, visibleLists, visibleSegments } from '@server/access';
import { countContacts } from '@server/db/contacts';
import { runReview } from '@server/runs/review';
import { loadDraft } from '@/lib/flow-graph';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getDb } from '@/lib/server';
import { StartRunForm } from '@/app/flows/[id]/run/start-run-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Start a run' };

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export default async function StartRunPage({ params, searchParams }: Props) {
  const user = await requireUser();
  const [{ id }, query] = await Promise.all([params, searchParams]);
  const db = await getDb();
  const flow = await orNotFound(visibleFlow(db, user, id));
  const [everyone, lists, segments] = await Promise.all([
    countContacts(db, { subscribedOnly: true }),
    visibleLists(db, user),
    visibleSegments(db, user),
  ]);
  // What the review states of each version: its senders for this person, its path's Delays and Send window.
  const versions = await Promise.all(
    flow.versions.map(async (v) => ({
      ...v,
      publishedAt: formatTime(v.publishedAt),
      review: await runReview(db, user, (await visibleFlowVersion(db, user, flow.id, v.version)).plan),
    })),
  );
  const asked = Number(Array.isArray(query.version) ? query.version[0] : query.version);
  const initialVersion = versions.some((v) => v.version === asked) ? asked : versions[0]?.version;
  // Edits saved after the newest version was published do not run until they are published.
  const newest = versions[0] && (await visibleFlowVersion(db, user, flow.id, versions[0].version));
  const diff = newest ? diffFlows(newest.graph, loadDraft(flow.graph).graph) : null;
  const unpublished = diff && hasChanges(diff) ? summarizeDiff(diff) : null;

  return (
    <section>
      <p className="crumbs">
        <Link href="/flows">Flows</Link> / <Link href={`/flows/${flow.id}`}>{flow.name}</Link> / Start a run
      </p>
      <h1>Start a run of “{flow.name}”</h1>
      {initialVersion === undefined ? (
        <p className="notice notice--info">
          This flow has no published version yet. <Link href={`/flows/${flow.id}`}>Open the editor</Link> and publish it first.
        </p>
      ) : (
        <>
          {unpublished && (
            <p className="notice notice--warning" role="status" data-testid="unpublished-changes">
              The draft has changes that are not published ({unpublished}). A run uses a published version, so it will not include them.{' '}
              <Link href={`/flows/${flow.id}`}>Open the editor</Link> to publish them first.
            </p>
          )}
          <StartRunForm
            flowId={flow.id}
            versions={versions}
            initialVersion={initialVersion}
            everyone={everyone}
            lists={lists.map((l) => ({ id: l.id, name: l.name, subscribed: l.subscribed }))}
            segments={segments.map((s) => ({ id: s.id, name: s.name }))}
          />
        </>
      )}
    </section>
  );
}
