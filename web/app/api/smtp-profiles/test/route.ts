import { testConnection } from '@server/profiles';
import { testConnectionLimit } from '@server/rate-limits';
import { type SmtpCheck, TestConnectionRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getKeyring, getOutboundPolicy, getSandboxServer, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Connects and logs in with what the form holds now, saved or not: 200 {ok, failure, message}, where a
 * failure's message says which field to change. Nothing is stored. 429 with Retry-After past the limit.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const { profileId, ...input } = await readBody(request, TestConnectionRequest);
  const db = await getDb();
  await testConnectionLimit.take(db, user.id);
  return Response.json((await testConnection(db, getKeyring(), getOutboundPolicy(), user, input, profileId, getSandboxServer())) satisfies SmtpCheck);
});
