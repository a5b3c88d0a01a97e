/**
 * The import job on a real Temporal server, with the worker as production runs it (worker/main.ts in a
 * child process): 20,000 rows end as exactly 20,000 contacts, also when the worker is killed (SIGKILL)
 * mid-import and a new one started: the retried slice resumes at the position the last committed
 * chunk recorded, so no row is lost and none is counted twice.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFilePath } from '../server/contact-import';
import { countContacts } from '../server/db/contacts';
import { getImportProgress } from '../server/db/imports';
import { startImport, uploadImport } from '../server/imports';
import { type ContactImportResult, importWorkflowId } from '../workflows/contracts';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { eventually } from './helpers';

const ROWS = 20_000;
let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 0, taskQueue: 'contact-import', inProcessWorker: false });
});
afterAll(async () => env?.close());

/** 20,000 rows, each a new email, streamed (never one string). */
function rows(prefix: string): Readable {
  return Readable.from(
    (function* () {
      yield 'email,name,plan,seats\n';
      for (let i = 0; i < ROWS; i++) yield `${prefix}${i}@example.test,${prefix} ${i},${i % 2 ? 'pro' : 'free'},${i % 50}\n`;
    })(),
  );
}

async function importFile(prefix: string) {
  const uploaded = await uploadImport(env.db, env.config.DRIPLINE_DATA_DIR, admin, `${prefix}.csv`, rows(prefix));
  expect(uploaded.totalRows).toBe(ROWS);
  const mapping = [{ to: 'email' }, { to: 'name' }, { to: 'attribute', name: 'plan' }, { to: 'attribute', name: 'seats', type: 'number' }];
  await startImport(env.db, env.client, env.config, admin, uploaded.id, { mapping });
  return { id: uploaded.id, handle: env.client.workflow.getHandle(importWorkflowId(uploaded.id)) };
}

async function killed(worker: ChildProcess) {
  worker.kill('SIGKILL');
  await new Promise((r) => worker.once('exit', r));
  expect(worker.signalCode).toBe('SIGKILL');
}

/** The import finished with every row created once: no row lost, none doubled. */
async function expectExactImport(id: string, handle: { result(): Promise<ContactImportResult> }, contactsBefore: number) {
  const result: ContactImportResult = await handle.result();
  expect(result.rowsDone).toBe(ROWS);
  expect(await getImportProgress(env.db, id)).toMatchObject({
    status: 'done',
    rowsDone: ROWS,
    created: ROWS,
    updated: 0,
    invalid: 0,
    duplicates: 0,
  });
  expect((await countContacts(env.db)) - contactsBefore).toBe(ROWS);
}

describe('the import job on Temporal', () => {
  it('imports a 20,000-row file as exactly 20,000 contacts', async () => {
    const worker = env.spawnWorker();
    const before = await countContacts(env.db);
    const { id, handle } = await importFile('first');
    await expectExactImport(id, handle, before);
    await killed(worker);
  });

  it('resumes where it stopped when the worker is killed mid-import, with the count still exact', async () => {
    const first = env.spawnWorker();
    const before = await countContacts(env.db);
    const { id, handle } = await importFile('second');
    await eventually('the first worker to import its first rows', async () => ((await getImportProgress(env.db, id))?.rowsDone ?? 0) > 0, {
      timeoutMs: 120_000,
      everyMs: 20,
    });
    await killed(first);
    const stopped = (await getImportProgress(env.db, id))?.rowsDone ?? 0;
    expect(stopped).toBeGreaterThan(0);
    expect(stopped).toBeLessThan(ROWS);

    env.spawnWorker();
    await expectExactImport(id, handle, before);
    // The retried slice ran on the second worker: the history shows more than one attempt, or a second slice.
    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'importContactsSlice') ?? [];
    const attempts =
      history.events?.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : [])) ?? [];
    expect(scheduled.length > 1 || attempts.some((a) => a > 1)).toBe(true);
  });

  it('fails the import with the reason, without retrying, when the file has a row too wide for the parser', async () => {
    const worker = env.spawnWorker();
    const uploaded = await uploadImport(env.db, env.config.DRIPLINE_DATA_DIR, admin, 'wide.csv', Readable.from(['email\nann@example.test\n']));
    // The file on disk changed after its preview: a line of 4 MB of commas, as the web app now refuses at upload.
    fs.appendFileSync(importFilePath(env.config.DRIPLINE_DATA_DIR, uploaded.id), `${','.repeat(4 * 1024 * 1024)}\n`);
    await startImport(env.db, env.client, env.config, admin, uploaded.id, { mapping: [{ to: 'email' }] });
    await env.client.workflow.getHandle(importWorkflowId(uploaded.id)).result();
    expect(await getImportProgress(env.db, uploaded.id)).toMatchObject({
      status: 'failed',
      error: 'line 3 has more than 500 columns; at most 500 are accepted: remove unused columns',
    });
    expect(fs.existsSync(importFilePath(env.config.DRIPLINE_DATA_DIR, uploaded.id))).toBe(false);
    await killed(worker);
  });
});
