import { importFlowAs } from '@server/portable';
import { type FlowImported, ImportFlowRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Imports an exported flow as a new draft owned by the user (a new id; nothing is overwritten): 201
 * {id, name}. 422 `invalid_file` names each bad field (and an unknown `schemaVersion`); 422
 * `profile_mapping_needed` lists in details.unmapped the SMTP profiles to replace through `profileMap`.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const raw = await readJson(request);
  // The exported file on its own is a body too (curl -d @flow.json): it has no `file` field.
  const isBareFile = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('file' in raw) && 'schemaVersion' in raw;
  const body = ImportFlowRequest.parse(isBareFile ? { file: raw } : raw);
  const created = await importFlowAs(await getDb(), user, body.file, body.profileMap);
  return Response.json(created satisfies FlowImported, { status: 201 });
});
