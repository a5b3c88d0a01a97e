import { sandboxMessageFor } from '@server/access';
import type { SandboxMessageView } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getSandboxDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** One message with its text, loaded when it is opened; 404 for one the user may not see (or pruned). */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const id = Number((await params).id);
  return Response.json((await sandboxMessageFor(await getDb(), await getSandboxDb(), user, id)) satisfies SandboxMessageView);
});
