// The Temporal worker: runs the campaign, journey and retry workflows and every activity (activities/index.ts).
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { readConfig } from '../server/config';
import { decryptSecret } from '../server/crypto';
import { openDatabase } from '../server/db';
import { sweepUploads } from '../server/import-uploads';
import { loadKeyring, loadSecretKey } from '../server/secrets';
import { smtpOutboundPolicy } from '../server/smtp/outbound';
import { threadedTransports } from '../server/smtp/send-thread';
import { clientDataConverter, workerDataConverter } from '../server/temporal-codec';

const config = readConfig();
const db = await openDatabase(config.database, { poolSize: config.DATABASE_POOL_SIZE });
// Uploads never started are removed a day later: here, and before each upload (server/import-uploads.ts).
const swept = await sweepUploads(db, config.DRIPLINE_DATA_DIR).catch((err: unknown) => {
  console.error('could not sweep old uploads:', err instanceof Error ? err.message : err);
  return 0;
});
if (swept > 0) console.log(`removed ${swept} uploaded files no import needs any more`);
const keyring = loadKeyring(config);
// Sends reach only public SMTP servers, the sandbox and the admin's allow-list (DRIPLINE_SMTP_ALLOWED_HOSTS).
const transports = threadedTransports((enc, profileId) => decryptSecret(keyring, enc, profileId), smtpOutboundPolicy(config));
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
// Activities start recipients' retry workflows through a client of their own.
const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: clientDataConverter(keyring) });
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  // Payloads and failure messages are encrypted before they reach Temporal (server/temporal-codec.ts).
  dataConverter: workerDataConverter(keyring, fileURLToPath(new URL('../workflows/failure-converter.cjs', import.meta.url))),
  activities: createActivities({
    db,
    transports,
    messageIdSecret: loadSecretKey(config),
    publicUrl: config.DRIPLINE_PUBLIC_URL,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  }),
});
console.log(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`);
// Worker.run handles SIGINT/SIGTERM: it stops polling, lets running activities finish, then resolves.
await worker.run();
transports.close();
await connection.close();
await clientConnection.close();
await db.destroy();
