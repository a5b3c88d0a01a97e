import { z } from 'zod';
import { sendTestEmail } from '../../../../../../activities/smtp-profiles';
import { userRoute } from '../../../../../lib/auth';
import { getDb, getKeyring, readBody } from '../../../../../lib/server';

export const dynamic = 'force-dynamic';

const TestEmailRequest = z.object({
  to: z
    .string({ error: (issue) => (issue.input === undefined ? 'to is required' : 'to must be a string') })
    .trim()
    .max(254, 'to must be at most 254 characters')
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'to must not contain line breaks or control characters')
    .pipe(z.email('enter the email address to send the test to, like you@example.com')),
});

/** Sends one test message with the saved profile, right away: 200 {ok, message}. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { to } = await readBody(request, TestEmailRequest);
  return Response.json(await sendTestEmail(await getDb(), getKeyring(), user, id, to));
});
