import type { Metadata } from 'next';
import { visibleFlow, visibleFlowVersion, visibleLists, visibleSegments } from '@server/access';
import { listAttributeDefinitions } from '@server/db/contacts';
import { defaultProfileId } from '@server/db/smtp-profiles';
import { listProfiles } from '@server/profiles';
import { FlowEditor } from '@/components/flow-editor/flow-editor';
import { loadDraft } from '@/lib/flow-graph';
import { formatTime } from '@/lib/format';
import { currentUser, requireUser } from '@/lib/auth';
import { orNotFound, orUndefined } from '@/lib/not-found';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const user = await currentUser();
  if (!user) return { title: 'Flow' };
  const { id } = await params;
  const flow = await orUndefined(visibleFlow(await getDb(), user, id));
  return { title: flow ? flow.name : 'Flow not found' };
}

export default async function FlowEditorPage({ params }: Props) {
  const user = await requireUser();
  const { id } = await params;
  const db = await getDb();
  const flow = await orNotFound(visibleFlow(db, user, id));
  const { graph, problems } = loadDraft(flow.graph);
  // The senders this user may use (what GET /api/smtp-profiles lists), with only the fields the Sender select shows.
  const myDefault = await defaultProfileId(db, user.id);
  const profiles = (await listProfiles(db, user)).map((p) => ({
    id: p.id,
    name: p.name,
    fromEmail: p.fromEmail,
    fromName: p.fromName,
    isDefault: p.id === myDefault,
  }));
  const newest = flow.versions[0];
  const published = newest ? await visibleFlowVersion(db, user, flow.id, newest.version) : undefined;
  // A Condition's tests name lists and segments by id: what the draft changes names them as the user does.
  const named = (items: { id: string; name: string }[]) => items.map(({ id, name }) => ({ id, name }));
  const audiences = { lists: named(await visibleLists(db, user)), segments: named(await visibleSegments(db, user)) };
  return (
    <FlowEditor
      key={flow.id}
      flowId={flow.id}
      initialName={flow.name}
      initialGraph={graph}
      loadProblems={problems}
      profiles={profiles}
      attributes={(await listAttributeDefinitions(db)).map(({ name, type }) => ({ name, type }))}
      versions={flow.versions.map((v) => ({ ...v, publishedAt: formatTime(v.publishedAt) }))}
      publishedGraph={published?.graph ?? null}
      audiences={audiences}
    />
  );
}
