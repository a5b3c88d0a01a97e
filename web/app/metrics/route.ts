/**
 * GET /metrics: Prometheus' text format, for a scraper holding DRIPLINE_METRICS_TOKEN (bearer); 404
 * without the variable. The web app's own counters and the database's view: recipients of running
 * campaigns due and waiting, their delivery log by outcome, each profile's rates (server/metrics.ts).
 */
import { metricsRefusal, metricsText } from '@server/operations';
import { getConfig, getMetricsRegistry } from '@/lib/server';

export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  const refusal = metricsRefusal(request.headers.get('authorization'), getConfig().DRIPLINE_METRICS_TOKEN);
  if (refusal) return Promise.resolve(refusal);
  return metricsText(getMetricsRegistry());
}
