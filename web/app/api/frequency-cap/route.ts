import { FrequencyCapRequest } from '@domain/frequency-cap';
import { getFrequencyCap, setFrequencyCap } from '@server/db/frequency-cap';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The workspace's frequency cap (admins only): {cap: {maxEmails, periodHours}} or {cap: null} while it is off. */
export const GET = userRoute(async () => Response.json({ cap: (await getFrequencyCap(await getDb())) ?? null }), { admin: true });

/** Sets the cap, or turns it off with {cap: null}; answers with what is now set. */
export const PUT = userRoute(
  async (request: Request) => {
    const { cap } = await readBody(request, FrequencyCapRequest);
    const db = await getDb();
    await setFrequencyCap(db, cap);
    return Response.json({ cap: (await getFrequencyCap(db)) ?? null });
  },
  { admin: true },
);
