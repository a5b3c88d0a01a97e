// The Temporal worker: runs journey workflows and the sendEmail activity.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { readConfig } from '../activities/config';
import { openDatabase } from '../activities/db';
import { decryptSecret } from '../activities/crypto';
import { loadKeyring, loadSecretKey } from '../activities/secret';
import { createActivities } from '../activities/send';
import { TransportPool } from '../activities/smtp';

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
