import { testConnection } from '@server/profiles';
import { type SmtpCheck, TestConnectionRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getKeyring, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Connects and logs in with what the form holds now, saved or not: 200 {ok, message}, where a failure's
 * message says which field to change. Nothing is stored.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const { profileId, ...input } = await readBody(request, TestConnectionRequest);
  return Response.json((await testConnection(await getDb(), getKeyring(), user, input, profileId)) satisfies SmtpCheck);
});
