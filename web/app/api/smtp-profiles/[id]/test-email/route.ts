import { loadSecretKey } from '@server/secrets';
import { sendTestEmail, testEmailsFor } from '@server/test-email';
import { type SmtpCheck, TestEmailRequest, type TestEmailList } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getKeyring, getOutboundPolicy, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/**
 * Sends one test message with the saved profile: 200 {ok, message}. It goes through the profile's
 * pace and daily cap and into the send ledger and delivery log like any send.
 */
export const POST = userRoute(async (request: Request, { params }: Context, user) => {
  const { id } = await params;
  const { to } = await readBody(request, TestEmailRequest);
  const db = await getDb();
  return Response.json((await sendTestEmail(db, getKeyring(), getOutboundPolicy(), loadSecretKey(getConfig()), user, id, to)) satisfies SmtpCheck);
});

/** The profile's latest test emails with the server's reply: all for who manages it, one's own for others. */
export const GET = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  return Response.json({ items: await testEmailsFor(await getDb(), user, id) } satisfies TestEmailList);
});
