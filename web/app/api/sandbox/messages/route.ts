import { clearSandbox, listSandboxMessages } from '@server/db/sandbox';
import type { MailboxCleared, SandboxMessageList } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getSandboxDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Messages the sandbox SMTP server received, newest first (without the raw source). */
export const GET = userRoute(async () => {
  const messages = await listSandboxMessages(await getSandboxDb());
  return Response.json(messages.map(({ raw: _raw, ...message }) => message) satisfies SandboxMessageList);
});

export const DELETE = userRoute(async () => {
  await clearSandbox(await getSandboxDb());
  return Response.json({ ok: true } satisfies MailboxCleared);
});
