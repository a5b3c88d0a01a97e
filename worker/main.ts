// The Temporal worker: runs journey workflows and the sendEmail activity.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { readConfig } from '../server/config';
import { decryptSecret } from '../server/crypto';
import { openDatabase } from '../server/db';
import { loadKeyring, loadSecretKey } from '../server/secrets';
import { TransportPool } from '../server/smtp/transport';

const config = readConfig();
const db = await openDatabase(config.databaseFile);
const keyring = loadKeyring(config);
const transports = new TransportPool((enc) => decryptSecret(keyring, enc));
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  activities: createActivities({ db, transports, messageIdSecret: loadSecretKey(config) }),
});
console.log(`polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`);
// Worker.run handles SIGINT/SIGTERM: it stops polling, lets running activities finish, then resolves.
await worker.run();
transports.close();
await connection.close();
await db.destroy();
