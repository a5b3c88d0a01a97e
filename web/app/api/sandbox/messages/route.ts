import { clearSandboxAs, sandboxMessagesFor } from '@server/access';
import type { MailboxCleared, SandboxMessageList } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getSandboxDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Messages the sandbox SMTP server received, newest first (without the raw source): all for admins, their own sends' for agents. */
export const GET = userRoute(async (_request: Request, _context: unknown, user) => {
  const messages = await sandboxMessagesFor(await getDb(), await getSandboxDb(), user);
  return Response.json(messages.map(({ raw: _raw, ...message }) => message) satisfies SandboxMessageList);
});

/** Empties the mailbox: admins only (403 otherwise). */
export const DELETE = userRoute(async (_request: Request, _context: unknown, user) => {
  await clearSandboxAs(await getSandboxDb(), user);
  return Response.json({ ok: true } satisfies MailboxCleared);
});
