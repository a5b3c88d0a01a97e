/**
 * The worker's operations endpoints on DRIPLINE_WORKER_HTTP_HOST:DRIPLINE_WORKER_HTTP_PORT (loopback by
 * default): /healthz, /readyz and /metrics (server/operations.ts). Its /metrics adds the Temporal SDK's
 * own metrics (temporal_*: polls, task latencies, slots), which the SDK serves on loopback at
 * DRIPLINE_WORKER_SDK_METRICS_PORT: one scrape target for both.
 */
import http from 'node:http';
import type { Logger } from '../server/log';
import { registry } from '../server/metrics';
import { healthz, metricsText, type ReadinessChecks, readyz } from '../server/operations';

export function sdkMetricsAddress(port: number): string {
  return `127.0.0.1:${port}`;
}

async function sdkMetrics(address: string): Promise<string> {
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return await res.text();
  } catch (err) {
    return `# the Temporal SDK's metrics at ${address} did not answer: ${(err as Error).message}\n`;
  }
}

export function startOperationsServer(options: {
  host: string;
  port: number;
  sdkMetrics?: string;
  checks: ReadinessChecks;
  log: Logger;
}): http.Server {
  const { log } = options;
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://worker.invalid').pathname;
    const answer =
      req.method !== 'GET'
        ? Promise.resolve(new Response('only GET\n', { status: 405 }))
        : pathname === '/healthz'
          ? Promise.resolve(healthz())
          : pathname === '/readyz'
            ? readyz(options.checks)
            : pathname === '/metrics'
              ? metricsText(registry, options.sdkMetrics ? () => sdkMetrics(options.sdkMetrics as string) : undefined)
              : Promise.resolve(new Response('not found: /healthz, /readyz or /metrics\n', { status: 404 }));
    answer
      .then(async (r) => {
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(Buffer.from(await r.arrayBuffer()));
      })
      .catch((err: unknown) => {
        log.error({ err, path: pathname }, 'operations endpoint failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
  });
  // A port already taken (another worker on this machine) costs the endpoints, not the sending.
  server.on('error', (err) =>
    log.error(
      { err },
      `cannot serve /healthz, /readyz and /metrics on ${options.host}:${options.port}; set DRIPLINE_WORKER_HTTP_PORT to a free port`,
    ),
  );
  server.listen(options.port, options.host, () =>
    log.info(`operations endpoints on http://${options.host}:${options.port} (/healthz, /readyz, /metrics)`),
  );
  return server;
}
