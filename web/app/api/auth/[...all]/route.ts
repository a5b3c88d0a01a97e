import { toNextJsHandler } from 'better-auth/next-js';
import { checkSignInAllowed, noteSignInOutcome, signInLockout } from '@server/sign-in-lockout';
import { getAuth } from '@/lib/auth';
import { apiRoute, getConfig, getDb, readLimitedText } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** better-auth's own endpoints: sign-in/email, sign-out, get-session, admin/*. */
const handlers = toNextJsHandler(async (request: Request) => (await getAuth()).handler(request));

export const { GET } = handlers;

/** The email a sign-in names, if its body says one (better-auth itself answers a malformed body). */
function emailOf(text: string): string | undefined {
  try {
    const email = (JSON.parse(text) as { email?: unknown } | null)?.email;
    return typeof email === 'string' && email.length <= 320 ? email : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every POST: the body is read within the route's limit first (better-auth would read any size), then
 * handed on. A sign-in also passes the per-account lockout (server/sign-in-lockout.ts): refused with 429
 * while locked, and its outcome counted.
 */
export const POST = apiRoute(async (request: Request) => {
  const text = await readLimitedText(request);
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  const forward = new Request(request.url, { method: 'POST', headers, ...(text ? { body: text } : {}) });
  const email = new URL(request.url).pathname.endsWith('/sign-in/email') ? emailOf(text) : undefined;
  if (email === undefined) return handlers.POST(forward);
  const db = await getDb();
  await checkSignInAllowed(db, email);
  const response = await handlers.POST(forward);
  if (response.status === 401 || response.ok) await noteSignInOutcome(db, signInLockout(getConfig()), email, response.ok);
  return response;
});
