import { UserError } from '@server/errors';
import { uploadImport } from '@server/imports';
import type { ImportUploadResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Uploads a CSV file (the request body, as the browser sends a File): streamed to the data folder,
 * never buffered (the proxy skips this path so that Next does not buffer it either). 201 with its
 * columns, first rows and a proposed mapping; start it with POST /api/imports/[id]/start. Refused: a
 * file too wide or with too long a row (422), too many uploads waiting (429), too little disk left (507).
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  if (!request.body) throw new UserError(422, 'empty_file', 'send the CSV file as the request body', { field: 'file' });
  const name = new URL(request.url).searchParams.get('name') ?? 'upload.csv';
  const config = getConfig();
  const declared = request.headers.get('content-length');
  const uploaded = await uploadImport(await getDb(), config.DRIPLINE_DATA_DIR, user, name, request.body, {
    limits: config,
    ...(declared && /^\d+$/.test(declared) ? { bytes: Number(declared) } : {}),
  });
  return Response.json(uploaded satisfies ImportUploadResponse, { status: 201 });
});
