import { createApiKey } from '@server/api-keys';
import { listApiKeys } from '@server/db/api-keys';
import { type ApiKeyCreated, type ApiKeyList, CreateApiKeyRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Every API key (admins only): names, who made them, when last used; never a key. */
export const GET = userRoute(async () => Response.json({ apiKeys: await listApiKeys(await getDb()) } satisfies ApiKeyList), { admin: true });

/** Makes a key (admins only): 201 with the key, shown this once; the database keeps only its SHA-256. */
export const POST = userRoute(
  async (request: Request, _context: unknown, user) => {
    const body = await readBody(request, CreateApiKeyRequest);
    const created = await createApiKey(await getDb(), body.name, user.id);
    return Response.json(created satisfies ApiKeyCreated, { status: 201, headers: { 'cache-control': 'no-store' } });
  },
  { admin: true },
);
