import { sandboxRawFor } from '@server/access';
import { userRoute } from '@/lib/auth';
import { getDb, getSandboxDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * One message's raw source, as the sandbox received it, as a download (message-<id>.eml); 404 for one
 * the user may not see (or pruned). Plain text, so the browser never renders it.
 */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const id = Number((await params).id);
  const raw = await sandboxRawFor(await getDb(), await getSandboxDb(), user, id);
  return new Response(raw, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="message-${id}.eml"`,
      'cache-control': 'private, no-store',
    },
  });
});
