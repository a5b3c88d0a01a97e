/**
 * The worker's Temporal runtime (Runtime.install): the SDK's metrics served on loopback for the worker's
 * /metrics to merge (worker/operations.ts), and its logger writing into Dripline's log: the worker's own messages
 * and activities' Context.log, with the workflow's and activity's ids as fields. Temporal's run id is
 * `temporalRunId` in our log, since `runId` there names a Dripline run.
 */
import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from '../server/log';

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

export function temporalLogger(log: Logger, level: string): DefaultLogger {
  const sdk = log.child({ source: 'temporal' });
  return new DefaultLogger(LEVELS[level] ?? 'INFO', (entry: LogEntry) => {
    const { runId, sdkComponent, ...meta } = entry.meta ?? {};
    const fields = { ...meta, ...(runId ? { temporalRunId: runId } : {}), ...(sdkComponent ? { component: sdkComponent } : {}) };
    const method =
      entry.level === 'TRACE'
        ? 'trace'
        : entry.level === 'DEBUG'
          ? 'debug'
          : entry.level === 'WARN'
            ? 'warn'
            : entry.level === 'ERROR'
              ? 'error'
              : 'info';
    sdk[method](fields, entry.message);
  });
}

/**
 * Installs the runtime; returns where the SDK serves its metrics, or undefined when that address was
 * taken (then the worker runs without them, and says so: sending matters more than its metrics).
 */
export function installRuntime(log: Logger, level: string, sdkMetrics: string): string | undefined {
  const logger = temporalLogger(log, level);
  // SIGTERM and SIGINT are the worker's own to handle (worker/main.ts).
  const base = { logger, shutdownSignals: [] };
  try {
    Runtime.install({ ...base, telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetrics } } } });
    return sdkMetrics;
  } catch (err) {
    log.error({ err }, `the Temporal SDK cannot serve its metrics on ${sdkMetrics}; set DRIPLINE_WORKER_SDK_METRICS_PORT to a free port`);
    Runtime.install(base);
    return undefined;
  }
}
