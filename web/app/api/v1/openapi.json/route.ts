import { eventsOpenApi } from '@/lib/events-openapi';
import { apiRoute, getConfig } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The OpenAPI 3.1 description of the events API: public, like any API documentation (it holds no data). */
export const GET = apiRoute(async () => Response.json(eventsOpenApi(getConfig().DRIPLINE_PUBLIC_URL)));
