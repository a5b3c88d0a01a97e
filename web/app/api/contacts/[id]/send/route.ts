import { sendOneOff } from '@server/one-off';
import { type MessageQueued, SendMessageRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * A one-off message to this contact, sent with the user's default SMTP profile as a durable journey
 * of one step: 202 {runId, workflowId}. It shows in the contact's delivery history once attempted.
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, SendMessageRequest);
  const db = await getDb();
  const temporal = await getTemporal();
  const { runId, workflowId } = await sendOneOff(db, temporal, getConfig(), user, { contactId: id, ...body });
  return Response.json({ runId, workflowId } satisfies MessageQueued, { status: 202 });
});
