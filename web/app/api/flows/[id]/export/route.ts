import { exportFlowAs } from '@server/portable';
import { UserError } from '@server/errors';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** A file name from the flow's name: letters, digits and dashes only. */
const fileName = (name: string, version?: number) =>
  `${
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'flow'
  }${version === undefined ? '' : `-v${version}`}.dripline.json`;

/**
 * The flow as a portable file `{ schemaVersion, name, graph, exportedAt }`, for download: the draft, or
 * with `?version=N` that published version. 404 for a flow the user may not see.
 */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const given = new URL(request.url).searchParams.get('version');
  if (given !== null && !/^[1-9][0-9]{0,8}$/.test(given)) {
    throw new UserError(400, 'invalid_version', 'version must be a published version number, e.g. ?version=1', { field: 'version' });
  }
  const version = given === null ? undefined : Number(given);
  const file = await exportFlowAs(await getDb(), user, id, version);
  return Response.json(file, { headers: { 'content-disposition': `attachment; filename="${fileName(file.name, version)}"` } });
});
