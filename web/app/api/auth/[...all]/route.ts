import { toNextJsHandler } from 'better-auth/next-js';
import { getAuth } from '@/lib/auth';

export const dynamic = 'force-dynamic';

/** better-auth's own endpoints: sign-in/email, sign-out, get-session, admin/*. */
const handlers = toNextJsHandler(async (request: Request) => (await getAuth()).handler(request));

export const { GET, POST } = handlers;
