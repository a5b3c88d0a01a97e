import { temporalWorkflowUrl } from '../../../../../../activities/config';
import { getContact, listContactDeliveries } from '../../../../../../activities/db';
import { UserError } from '../../../../../../activities/errors';
import { userRoute } from '../../../../../lib/auth';
import { getConfig, getDb } from '../../../../../lib/server';

export const dynamic = 'force-dynamic';

/** Every delivery attempt to the contact, campaigns and one-off messages, newest first, with Temporal links. */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const db = await getDb();
  const contact = await getContact(db, id);
  if (!contact) throw new UserError(404, 'contact_not_found', `contact "${id}" does not exist`);
  const config = getConfig();
  const deliveries = (await listContactDeliveries(db, id)).map((d) => ({ ...d, temporal_url: temporalWorkflowUrl(config, d.workflow_id) }));
  return Response.json({ contact, deliveries });
});
