import { z } from 'zod';
import { runReconciliationFor } from '@server/runs/log';
import { ReconcileSelection } from '@domain/delivery-log';
import { pageLimit } from '@domain/paging';
import { CONTROL_CHARACTERS } from '@domain/text';
import { userRoute } from '@/lib/auth';
import type { ReconciliationAnswer } from '@/lib/run-log-api';
import { searchParams } from '@/lib/paging';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

const Page = z.object({
  after: z
    .string()
    .max(200, 'after must be a contact id')
    .refine((v) => !CONTROL_CHARACTERS.test(v), 'after must be a contact id')
    .optional(),
  limit: pageLimit(100),
});

/**
 * The run's reconciliation (404 unless the user may see the run): {counts: [{set, reason, count}]}, and
 * with ?set= (received, failed, uncertain, skipped, unsent) and optionally ?reason=, a page of that set's
 * recipients in contact id order, {list: {items, next}} (?after= the `next` cursor, ?limit= up to 500).
 */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const query = searchParams(request);
  const selection = query.set === undefined ? undefined : ReconcileSelection.parse(query);
  return Response.json((await runReconciliationFor(await getDb(), user, id, selection, Page.parse(query))) satisfies ReconciliationAnswer);
});
