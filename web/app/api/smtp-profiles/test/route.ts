import { testConnection } from '@server/profiles';
import { type SmtpCheck, TestConnectionRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { RateLimit } from '@/lib/rate-limit';
import { getDb, getKeyring, getOutboundPolicy, getSandboxServer, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Each user may test 10 connections a minute: enough to fix a form, too few to scan a network with. */
const perUser = new RateLimit(10, 60_000, 'Test connection');

/**
 * Connects and logs in with what the form holds now, saved or not: 200 {ok, failure, message}, where a
 * failure's message says which field to change. Nothing is stored. 429 with Retry-After past the limit.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const { profileId, ...input } = await readBody(request, TestConnectionRequest);
  perUser.take(user.id);
  return Response.json(
    (await testConnection(await getDb(), getKeyring(), getOutboundPolicy(), user, input, profileId, getSandboxServer())) satisfies SmtpCheck,
  );
});
