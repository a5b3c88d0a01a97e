import { clearSandboxAs, sandboxMessagesFor } from '@server/access';
import type { MailboxCleared, SandboxMessageList } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getSandboxDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * The newest 200 messages the sandbox SMTP server received, as summaries (headers and size, no body):
 * all for admins, their own sends' for agents. A message's text: GET /api/sandbox/messages/{id}.
 */
export const GET = userRoute(async (_request: Request, _context: unknown, user) =>
  Response.json((await sandboxMessagesFor(await getDb(), await getSandboxDb(), user)) satisfies SandboxMessageList),
);

/** Empties the mailbox: admins only (403 otherwise). */
export const DELETE = userRoute(async (_request: Request, _context: unknown, user) => {
  await clearSandboxAs(await getSandboxDb(), user);
  return Response.json({ ok: true } satisfies MailboxCleared);
});
