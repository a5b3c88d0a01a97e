import { z } from 'zod';
import { sendOneOff } from '@server/runs';
import { SendEmailNode } from '@domain/flow/nodes/send-email';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The Send node's own rules for subject and body: no CR/LF or control characters in the subject. */
const SendMessageRequest = z.object({
  subject: SendEmailNode.shape.data.shape.subject,
  text: SendEmailNode.shape.data.shape.text,
});

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
  return Response.json({ runId, workflowId }, { status: 202 });
});
