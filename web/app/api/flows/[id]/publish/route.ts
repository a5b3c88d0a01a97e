import { publishFlow } from '../../../../../../activities/flows';
import { apiRoute, getDb } from '../../../../../lib/server';

export const dynamic = 'force-dynamic';

/** Compiles the saved draft into a new immutable version: 200 {version}, or 404/422 with node errors. */
export const POST = apiRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const { version } = await publishFlow(await getDb(), id);
  return Response.json({ version });
});
