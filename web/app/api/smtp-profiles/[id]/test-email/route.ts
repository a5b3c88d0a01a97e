import { z } from 'zod';
import { sendTestEmail } from '@server/profiles';
import { emailAddress } from '@domain/text';
import { required } from '@/lib/fields';
import { userRoute } from '@/lib/auth';
import { getDb, getKeyring, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

const TestEmailRequest = z.object({
  to: z.string({ error: required('to') }).pipe(emailAddress('to', 'you@example.com')),
});

/** Sends one test message with the saved profile, right away: 200 {ok, message}. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { to } = await readBody(request, TestEmailRequest);
  return Response.json(await sendTestEmail(await getDb(), getKeyring(), user, id, to));
});
