/**
 * The workflow bundle built ahead of time (worker/workflow-bundle.ts, `npm run build`): a worker given
 * only the prebuilt file runs a journey on a real Temporal server, and a bundle built from other code
 * is never picked: the worker bundles at start instead, and says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../activities';
import { PLAN_SCHEMA_VERSION } from '../domain/flow/plan';
import { makeKeyring } from '../server/crypto';
import { clientDataConverter, workerDataConverter } from '../server/temporal-codec';
import { buildWorkflowBundle, failureConverterPath, workflowCode, workflowSourceHash, workflowsPath } from '../worker/workflow-bundle';
import type { JourneyInput, JourneyResult } from '../workflows/contracts';
import { tempDir, testSecretKey } from './helpers';
import { startTemporalDevServer, type DevServer } from './temporal-dev';

let temporal: DevServer;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = tempDir('bundle');
  // An older bundle left in the folder: the build replaces it.
  fs.writeFileSync(path.join(dir, 'workflows-0000000000000000.js'), 'old code');
  [temporal, file] = await Promise.all([startTemporalDevServer(), buildWorkflowBundle(dir)]);
});
afterAll(async () => {
  await temporal?.stop();
});

describe('the prebuilt workflow bundle', () => {
  it('is named by the hash of the code it was built from, and replaces older bundles', () => {
    expect(path.basename(file)).toBe(`workflows-${workflowSourceHash()}.js`);
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);
  });

  it('runs a journey on a real Temporal server, on a worker that has only the bundle', async () => {
    const { options, note } = workflowCode(dir);
    expect(options).toEqual({ workflowBundle: { codePath: file } });
    expect(note).toContain('prebuilt bundle');

    const keyring = makeKeyring(Buffer.from(testSecretKey, 'hex'));
    const sent: string[] = [];
    const activities: Pick<Activities, 'sendEmail'> = {
      async sendEmail(input) {
        sent.push(input.nodeId);
        return { messageId: `<${input.nodeId}@test>`, reply: '250 OK', alreadySent: false };
      },
    };
    const connection = await NativeConnection.connect({ address: temporal.address });
    const clientConnection = await Connection.connect({ address: temporal.address });
    try {
      const worker = await Worker.create({
        connection,
        taskQueue: 'prebuilt',
        ...options,
        dataConverter: workerDataConverter(keyring, failureConverterPath),
        activities,
      });
      const client = new Client({ connection: clientConnection, dataConverter: clientDataConverter(keyring) });
      const input: JourneyInput = {
        plan: {
          schemaVersion: PLAN_SCHEMA_VERSION,
          flowId: 'bundle',
          version: 1,
          entry: 'hello',
          steps: { hello: { type: 'sendEmail', profileId: 'sandbox', subject: 'Hi', text: 'Hello', next: 'end' }, end: { type: 'exit' } },
        },
        runId: 'run-bundle',
        contactId: 'ct_ada',
      };
      const result = await worker.runUntil(
        client.workflow.execute('journeyWorkflow', {
          taskQueue: 'prebuilt',
          workflowId: 'journey-prebuilt',
          args: [input],
        }) as Promise<JourneyResult>,
      );
      expect(result).toEqual({ status: 'completed', nodeId: 'end', sent: 1 });
      expect(sent).toEqual(['hello']);
    } finally {
      await connection.close();
      await clientConnection.close();
    }
  });

  it('is not loaded for other code: the worker bundles the sources at start and says why', () => {
    const { options, note } = workflowCode(dir, 'ffffffffffffffff');
    expect(options).toEqual({ workflowsPath });
    expect(note).toContain(`were built from other code than this (ffffffffffffffff)`);
    expect(workflowCode(tempDir('no-bundle')).note).toContain('no prebuilt bundle');
  });

  it('changes its hash when any workflow, domain or lock file changes', () => {
    const base = tempDir('hash');
    for (const d of ['workflows', 'domain/flow']) fs.mkdirSync(path.join(base, d), { recursive: true });
    fs.writeFileSync(path.join(base, 'workflows', 'a.ts'), 'export const a = 1;');
    fs.writeFileSync(path.join(base, 'domain', 'flow', 'b.ts'), 'export const b = 1;');
    fs.writeFileSync(path.join(base, 'package-lock.json'), '{}');
    const seen = new Set([workflowSourceHash(base)]);
    for (const [f, text] of [
      ['workflows/a.ts', 'export const a = 2;'],
      ['domain/flow/b.ts', 'export const b = 2;'],
      ['package-lock.json', '{"v":2}'],
    ] as const) {
      fs.writeFileSync(path.join(base, f), text);
      seen.add(workflowSourceHash(base));
    }
    expect(seen.size).toBe(4);
  });
});
