import { sendTestEmail } from '@server/profiles';
import { type SmtpCheck, TestEmailRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getKeyring, getOutboundPolicy, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Sends one test message with the saved profile, right away: 200 {ok, message}. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { to } = await readBody(request, TestEmailRequest);
  return Response.json((await sendTestEmail(await getDb(), getKeyring(), getOutboundPolicy(), user, id, to)) satisfies SmtpCheck);
});
