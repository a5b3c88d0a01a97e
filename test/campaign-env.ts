/**
 * What the campaign tests share: a real Temporal dev server, a fresh app database with contacts, a
 * real SMTP server that keeps what it receives, and a worker (in this process, or as a child process
 * that a test can kill).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { OutboundPolicy } from '../server/smtp/outbound';
import type { FlowGraph } from '../domain/flow/schema';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { startRun, type StartRunRequest } from '../server/runs/start';
import { campaignWorkflowId } from '../workflows/contracts';
import { parseFaults } from '../server/sandbox-faults';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import type { Dialect } from '../server/db';
import { loadKeyring } from '../server/secrets';
import { threadedTransports } from '../server/smtp/send-thread';
import { clientDataConverter, workerDataConverter } from '../server/temporal-codec';
import {
  eventually,
  failureConverterPath,
  localSmtpPolicy,
  profileInput,
  publishForTest,
  root,
  tempInstall,
  testSecretKey,
  workflowOptions,
} from './helpers';
import { databaseEnv } from './databases';
import { startTemporalDevServer, type DevServer } from './temporal-dev';

export const admin = { id: 'admin-test', role: 'admin' as const };

export interface Received {
  messageId: string;
  to: string;
  at: number;
  text: string;
  /** The List-Unsubscribe and List-Unsubscribe-Post headers, as received ('' when absent). */
  listUnsubscribe: string;
  listUnsubscribePost: string;
}

/** Unsubscribe links in the test campaigns point here. */
export const PUBLIC_URL = 'https://dripline.example.test';

const header = (raw: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im')
    .exec(raw)?.[1]
    ?.replace(/\r?\n[ \t]+/g, ' ')
    .trim() ?? '';

export interface CampaignEnv {
  db: Db;
  config: Config;
  client: Client;
  /** The Temporal dev server's address (for the temporal CLI). */
  temporalAddress: string;
  /** Every message the SMTP server accepted, in order. */
  received: Received[];
  smtp: SandboxSmtp;
  /** Answers RCPT TO for an address instead of accepting it, while it returns something. */
  answers: Map<string, () => { code: number; text: string } | undefined>;
  /** Publishes the graph and starts a run (everyone, unless the request says otherwise). */
  run(
    flowId: string,
    graph: FlowGraph,
    request?: Partial<StartRunRequest>,
  ): Promise<{ runId: string; handle: ReturnType<Client['workflow']['getHandle']> }>;
  /** A worker as a child process (worker/main.ts), as production runs it; `env` adds to its environment. */
  spawnWorker(env?: Record<string, string>): ChildProcess;
  /** Stops the Temporal dev server (it stays stopped). */
  stopTemporal(): Promise<void>;
  close(): Promise<void>;
}

/** The install key the in-process worker signs with (its messageIdSecret): Message-IDs, webhook signatures. */
export const INSTALL_KEY = Buffer.alloc(32, 3);

export async function campaignEnv(options: {
  contacts: number;
  taskQueue: string;
  inProcessWorker: boolean;
  faults?: string;
  maxConnections?: number;
  /** The app database: SQLite unless said (test/databases.ts). */
  database?: Dialect;
  /** The SMTP password of each profile, by id, as the in-process worker's transports use it (none otherwise). */
  passwords?: Record<string, string>;
  /** Where the in-process worker's Webhook steps may call (as DRIPLINE_WEBHOOK_ALLOWED_HOSTS would say). */
  webhookPolicy?: OutboundPolicy;
}): Promise<CampaignEnv> {
  const server: DevServer = await startTemporalDevServer();
  const { db, config, dir } = await tempInstall({
    ...(await databaseEnv(options.database ?? 'sqlite')),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    DRIPLINE_SECRET_KEY: testSecretKey,
  });
  const received: Received[] = [];
  const answers = new Map<string, () => { code: number; text: string } | undefined>();
  const smtp: SandboxSmtp = await startSandboxSmtp({
    port: 0,
    onMessage: async (m) => {
      const head = m.raw.slice(0, m.raw.search(/\r?\n\r?\n/));
      received.push({
        messageId: m.messageId,
        to: m.envelopeTo,
        at: Date.now(),
        text: m.text,
        listUnsubscribe: header(head, 'List-Unsubscribe'),
        listUnsubscribePost: header(head, 'List-Unsubscribe-Post'),
      });
    },
    answerRecipient: (address) => answers.get(address)?.(),
    ...(options.faults ? { faults: parseFaults(options.faults) } : {}),
  });
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Sandbox', port: smtp.port, maxConnections: options.maxConnections ?? 5 }), '');
  // The install's keyring (DRIPLINE_SECRET_KEY), as the web app and a spawned worker/main.ts use it.
  const keyring = loadKeyring(config);
  const client = new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: clientDataConverter(keyring) });
  const transports = threadedTransports((_enc, profileId) => options.passwords?.[profileId] ?? '', localSmtpPolicy);
  let worker: Worker | undefined;
  let workerDone: Promise<void> | undefined;
  const workerConnection = options.inProcessWorker ? await NativeConnection.connect({ address: server.address }) : undefined;
  if (workerConnection) {
    worker = await Worker.create({
      connection: workerConnection,
      taskQueue: options.taskQueue,
      ...workflowOptions(),
      dataConverter: workerDataConverter(keyring, failureConverterPath),
      activities: createActivities({
        db,
        transports,
        messageIdSecret: INSTALL_KEY,
        publicUrl: PUBLIC_URL,
        ...(options.webhookPolicy ? { webhookPolicy: options.webhookPolicy } : {}),
        temporal: client,
        taskQueue: options.taskQueue,
      }),
    });
    workerDone = worker.run();
  }
  const ids = Array.from({ length: options.contacts }, (_, i) => i);
  for (let i = 0; i < ids.length; i += 5000) {
    await insertContacts(
      db,
      ids.slice(i, i + 5000).map((n) => ({ id: `ct_${String(n).padStart(6, '0')}`, email: `person${n}@example.test`, name: `Person ${n}` })),
    );
  }
  const children: ChildProcess[] = [];
  return {
    db,
    config,
    client,
    temporalAddress: server.address,
    received,
    smtp,
    answers,
    async run(flowId, graph, request = {}) {
      const plan = await publishForTest(db, flowId, graph);
      const started = await startRun(db, client, config, admin, { flowId, version: plan.version, audience: { kind: 'all' }, ...request });
      return { runId: started.runId, handle: client.workflow.getHandle(campaignWorkflowId(started.runId)) };
    },
    spawnWorker(extraEnv = {}) {
      // node --import tsx, not the tsx CLI: the CLI runs the worker in a child process a SIGKILL would miss.
      const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
        cwd: root,
        env: {
          ...process.env,
          DRIPLINE_DATA_DIR: dir,
          ...(config.DATABASE_URL ? { DATABASE_URL: config.DATABASE_URL } : {}),
          DRIPLINE_SECRET_KEY: testSecretKey,
          TEMPORAL_ADDRESS: server.address,
          TEMPORAL_TASK_QUEUE: options.taskQueue,
          // The test's SMTP server listens on 127.0.0.1, which the outbound guard refuses unless allowed.
          DRIPLINE_SMTP_ALLOWED_HOSTS: '127.0.0.1:*',
          ...extraEnv,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    },
    stopTemporal: () => server.stop(),
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      worker?.shutdown();
      await workerDone;
      await workerConnection?.close();
      await client.connection.close();
      transports.close();
      await smtp.close();
      await db.destroy();
      await server.stop();
    },
  };
}

/** Polls `check` until it holds; fails after a minute, naming what it waited for. */
export const until = (what: string, check: () => Promise<boolean>) => eventually(what, check, { everyMs: 100 });
