import { temporalWorkflowUrl } from '@server/config';
import { getContact } from '@server/db/contacts';
import { listContactDeliveries } from '@server/db/deliveries';
import { UserError } from '@server/errors';
import type { ContactDeliveries } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Every delivery attempt to the contact, campaigns and one-off messages, newest first, with Temporal links. */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const db = await getDb();
  const contact = await getContact(db, id);
  if (!contact) throw new UserError(404, 'contact_not_found', `contact "${id}" does not exist`);
  const config = getConfig();
  const deliveries = (await listContactDeliveries(db, id)).map((d) => ({ ...d, temporalUrl: temporalWorkflowUrl(config, d.workflowId) }));
  return Response.json({ contact, deliveries } satisfies ContactDeliveries);
});
