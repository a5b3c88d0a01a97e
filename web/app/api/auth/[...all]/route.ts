import { toNextJsHandler } from 'better-auth/next-js';
import { getAuth } from '@/lib/auth';
import { apiRoute, readLimitedText } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** better-auth's own endpoints: sign-in/email, sign-out, get-session, admin/*. */
const handlers = toNextJsHandler(async (request: Request) => (await getAuth()).handler(request));

export const { GET } = handlers;

/**
 * Every POST: the body is read within the route's limit first (better-auth would read any size), then
 * handed on. The sign-in lockout is a better-auth plugin (server/sign-in-lockout.ts): it reads the body
 * better-auth parsed, so there is one parse.
 */
export const POST = apiRoute(async (request: Request) => {
  const text = await readLimitedText(request);
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return handlers.POST(new Request(request.url, { method: 'POST', headers, ...(text ? { body: text } : {}) }));
});
