import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getFlow, listSmtpProfiles, publicSmtpProfile } from '../../../../activities/db';
import { FlowEditor } from '../../../components/flow-editor/flow-editor';
import { loadDraft } from '../../../lib/flow-graph';
import { formatTime } from '../../../lib/format';
import { getDb } from '../../../lib/server';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  const flow = await getFlow(await getDb(), id);
  return { title: flow ? flow.name : 'Flow not found' };
}

export default async function FlowEditorPage({ params }: Props) {
  const { id } = await params;
  const db = await getDb();
  const flow = await getFlow(db, id);
  if (!flow) notFound();
  const { graph, problems } = loadDraft(flow.graph);
  // Only the public fields of each SMTP profile reach the browser: never the password.
  const profiles = (await listSmtpProfiles(db)).map(publicSmtpProfile).map((p) => ({
    id: p.id,
    name: p.name,
    fromEmail: p.fromEmail,
    fromName: p.fromName,
    isDefault: p.isDefault,
  }));
  return (
    <FlowEditor
      key={flow.id}
      flowId={flow.id}
      initialName={flow.name}
      initialGraph={graph}
      loadProblems={problems}
      profiles={profiles}
      versions={flow.versions.map((v) => ({ version: v.version, publishedAt: formatTime(v.published_at) }))}
    />
  );
}
