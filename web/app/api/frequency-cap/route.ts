import { FrequencyCap } from '@domain/frequency-cap';
import { getFrequencyCap, setFrequencyCap } from '@server/db/frequency-cap';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The workspace's frequency cap (admins only): {cap: {maxEmails, periodHours}}, or {cap: null} while it is off. */
export const GET = userRoute(async () => Response.json({ cap: (await getFrequencyCap(await getDb())) ?? null }), { admin: true });

/** Turns the cap on or changes it: {maxEmails, periodHours}; answers with what is now set. */
export const PUT = userRoute(
  async (request: Request) => {
    const cap = await readBody(request, FrequencyCap);
    await setFrequencyCap(await getDb(), cap);
    return Response.json({ cap });
  },
  { admin: true },
);

/** Turns the cap off. */
export const DELETE = userRoute(
  async () => {
    await setFrequencyCap(await getDb(), null);
    return Response.json({ cap: null });
  },
  { admin: true },
);
