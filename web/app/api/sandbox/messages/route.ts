import { clearSandbox, listSandboxMessages } from '../../../../../activities/db';
import { apiRoute, getDb } from '../../../../lib/server';

export const dynamic = 'force-dynamic';

/** Messages the sandbox SMTP server received, newest first (without the raw source). */
export const GET = apiRoute(async () => {
  const messages = await listSandboxMessages(await getDb());
  return Response.json(messages.map(({ raw: _raw, ...message }) => message));
});

export const DELETE = apiRoute(async () => {
  await clearSandbox(await getDb());
  return Response.json({ ok: true });
});
