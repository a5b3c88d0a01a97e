import { publishFlow } from '@server/flows';
import type { FlowPublished } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Compiles the saved draft into a new immutable version: 200 {version, warnings}, 404/422 with node errors, or
 * 403 when a Send node uses someone else's private SMTP profile.
 */
export const POST = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { version, warnings } = await publishFlow(await getDb(), id, user);
  return Response.json({ version, warnings } satisfies FlowPublished);
});
