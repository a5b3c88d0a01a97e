/**
 * startOnce on a real Temporal server: a second start under the same id is "already started" (false),
 * not an error; the reuse policy decides whether a finished workflow may start again; any other
 * failure still throws. No worker is needed: starting only writes the workflow's first events.
 */
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnce } from '../server/temporal/start-once';
import { importWorkflowId } from '../workflows/contracts';
import { startTemporalDevServer, type DevServer } from './temporal-dev';

let server: DevServer;
let connection: Connection;
let client: Client;
beforeAll(async () => {
  server = await startTemporalDevServer();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

const taskQueue = 'start-once-test';

describe('startOnce', () => {
  it('starts a workflow once: the second start under its id answers false and starts nothing', async () => {
    const workflowId = importWorkflowId('imp_once');
    expect(await startOnce(client, 'contactImportWorkflow', { taskQueue, workflowId, args: ['imp_once'] })).toBe(true);
    const first = await client.workflow.getHandle(workflowId).describe();
    expect(await startOnce(client, 'contactImportWorkflow', { taskQueue, workflowId, args: ['imp_once'] })).toBe(false);
    expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(first.runId);
    await client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('keeps a finished workflow finished under REJECT_DUPLICATE, and starts a new execution without it', async () => {
    const workflowId = importWorkflowId('imp_reuse');
    const options = { taskQueue, workflowId, args: ['imp_reuse'] as [string] };
    expect(await startOnce(client, 'contactImportWorkflow', options)).toBe(true);
    await client.workflow.getHandle(workflowId).terminate('finished');
    const spent = { ...options, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE };
    expect(await startOnce(client, 'contactImportWorkflow', spent)).toBe(false);
    expect(await startOnce(client, 'contactImportWorkflow', options)).toBe(true);
    await client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('throws any other failure', async () => {
    const elsewhere = new Client({ connection, namespace: 'no-such-namespace' });
    await expect(
      startOnce(elsewhere, 'contactImportWorkflow', { taskQueue, workflowId: importWorkflowId('imp_nowhere'), args: ['imp_nowhere'] }),
    ).rejects.toThrow(/namespace/i);
  });
});
