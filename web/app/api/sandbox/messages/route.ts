import { clearSandbox, listSandboxMessages } from '@server/db/sandbox';
import type { MailboxCleared, SandboxMessageList } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Messages the sandbox SMTP server received, newest first (without the raw source). */
export const GET = userRoute(async () => {
  const messages = await listSandboxMessages(await getDb());
  return Response.json(messages.map(({ raw: _raw, ...message }) => message) satisfies SandboxMessageList);
});

export const DELETE = userRoute(async () => {
  await clearSandbox(await getDb());
  return Response.json({ ok: true } satisfies MailboxCleared);
});
