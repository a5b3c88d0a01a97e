// The Temporal worker: runs the campaign, journey and retry workflows and every activity (activities/index.ts).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { readConfig } from '../server/config';
import { decryptSecret } from '../server/crypto';
import { openDatabase } from '../server/db';
import { sweepUploads } from '../server/import-uploads';
import { keepStartingListEntries } from '../server/list-entries';
import { keepDateTriggersRunning } from '../server/date-triggers';
import { startOnce } from '../server/temporal/start-once';
import { segmentCheckWorkflowId } from '../workflows/contracts';
import { log as rootLog } from '../server/log';
import { databaseCheck, temporalCheck } from '../server/operations';
import { loadKeyring, loadSecretKey } from '../server/secrets';
import { webhookOutboundPolicy } from '../server/webhooks';
import { smtpOutboundPolicy } from '../server/smtp/outbound';
import { threadedTransports } from '../server/smtp/send-thread';
import { describeTemporal, explainConnectFailure, temporalConnectionOptions } from '../server/temporal/connection';
import { clientDataConverter, workerDataConverter } from '../server/temporal-codec';
import { sdkMetricsAddress, startOperationsServer } from './operations';
import { installRuntime } from './runtime';
import { failureConverterPath, workflowCode } from './workflow-bundle';

const log = rootLog.child({ service: 'worker' });
const config = readConfig();
// The SDK's log (and activities' Context.log) into ours; its metrics served for /metrics to merge.
const sdkMetrics = installRuntime(log, config.DRIPLINE_LOG_LEVEL, sdkMetricsAddress(config.DRIPLINE_WORKER_SDK_METRICS_PORT));
const db = await openDatabase(config.database, { poolSize: config.DATABASE_POOL_SIZE });
// Uploads never started are removed a day later: here, and before each upload (server/import-uploads.ts).
const swept = await sweepUploads(db, config.DRIPLINE_DATA_DIR).catch((err: unknown) => {
  log.error({ err }, 'could not sweep old uploads');
  return 0;
});
if (swept > 0) log.info(`removed ${swept} uploaded files no import needs any more`);
const keyring = loadKeyring(config);
// Sends reach only public SMTP servers, the sandbox and the admin's allow-list (DRIPLINE_SMTP_ALLOWED_HOSTS).
const transports = threadedTransports((enc, profileId) => decryptSecret(keyring, enc, profileId), smtpOutboundPolicy(config));
const connectionOptions = temporalConnectionOptions(config);
/** Connects, or stops the worker with what went wrong and which setting to check. */
async function connect<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    log.fatal({ err }, await explainConnectFailure(config, err));
    process.exit(1);
  }
}
const connection = await connect(() => NativeConnection.connect(connectionOptions));
// Activities start recipients' retry workflows through a client of their own.
const clientConnection = await connect(() => Connection.connect(connectionOptions));
const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: clientDataConverter(keyring) });
const graceMs = config.DRIPLINE_SHUTDOWN_GRACE_SECONDS * 1000;
const workflows = workflowCode();
log.info(workflows.note);
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  // The prebuilt bundle when it matches this code (npm run build), else bundled now (worker/workflow-bundle.ts).
  ...workflows.options,
  // Payloads and failure messages are encrypted before they reach Temporal (server/temporal-codec.ts).
  dataConverter: workerDataConverter(keyring, failureConverterPath),
  activities: createActivities({
    db,
    transports,
    messageIdSecret: loadSecretKey(config),
    webhookPolicy: webhookOutboundPolicy(config),
    publicUrl: config.DRIPLINE_PUBLIC_URL,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  }),
  // On shutdown running activities get this long to finish; then they are cancelled (a send batch
  // gives back what it has not sent), and if even that hangs the worker gives up 15 s later.
  shutdownGraceTime: graceMs,
  shutdownForceTime: graceMs + 15_000,
});
const operations = startOperationsServer({
  host: config.DRIPLINE_WORKER_HTTP_HOST,
  port: config.DRIPLINE_WORKER_HTTP_PORT,
  sdkMetrics,
  log,
  checks: {
    database: databaseCheck(async () => db),
    temporal: temporalCheck(connectionOptions),
    worker: async () => {
      if (worker.getState() !== 'RUNNING') throw new Error(`the worker is ${worker.getState().toLowerCase()}`);
    },
  },
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info(`${signal}: taking no more tasks; running activities get ${config.DRIPLINE_SHUTDOWN_GRACE_SECONDS} s to finish`);
    worker.shutdown();
  });
}
log.info(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${describeTemporal(config)}`);
// Journeys of contacts who joined a list that no one started yet (a crash between the add and the start).
const stopListEntries = keepStartingListEntries({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
// A date Trigger's workflow for every date-triggered flow (one just published, or one restored).
const stopDateTriggers = keepDateTriggersRunning({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
// Contacts entering segments are looked for by one long-running workflow (workflows/segment-check.ts), started once for the namespace.
await startOnce(temporal, 'segmentCheckWorkflow', {
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowId: segmentCheckWorkflowId(config.TEMPORAL_TASK_QUEUE),
  args: [{}],
}).catch((err: unknown) =>
  log.error({ err }, 'could not start the segment check; contacts entering segments start no journeys until the worker starts again'),
);
let exitCode = 0;
try {
  await worker.run();
} catch (err) {
  log.error({ err }, 'the worker stopped on an error');
  exitCode = 1;
}
await stopListEntries();
await stopDateTriggers();
operations.close();
transports.close();
await connection.close();
await clientConnection.close();
await db.destroy();
log.info('stopped');
process.exit(exitCode);
