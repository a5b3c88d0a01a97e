/**
 * Encrypted history, on a real Temporal server and worker (test/campaign-env.ts): after a
 * campaign and a journey whose SMTP server rejects the recipient with a reply that names them, the raw
 * history (`temporal workflow show --output json`, no codec) holds no address, name, subject, body or
 * reply in clear, failure messages included; the app's own client (with the codec) still reads them.
 * The codec endpoint and the whole product: test/e2e/security/temporal-history.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JourneyInput, JourneyResult } from '../workflows/contracts';
import { journeyWorkflow } from '../workflows/journey';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { publishForTest, sendGraph, toolPath, withDecodedPayloads } from './helpers';

let env: CampaignEnv;
const rejected = 'person1@example.test';
const reply = `5.1.1 <${rejected}>: Recipient address rejected`;

beforeAll(async () => {
  env = await campaignEnv({ contacts: 3, taskQueue: 'history-test', inProcessWorker: true });
  env.answers.set(rejected, () => ({ code: 550, text: reply }));
});

afterAll(async () => {
  await env?.close();
});

/** The history as the server keeps it, every payload's base64 data decoded, so a search covers what Temporal stores. */
function rawHistory(workflowId: string): string {
  const printed = execFileSync(
    toolPath('temporal'),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', env.temporalAddress, '--output', 'json'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return withDecodedPayloads(printed).text;
}

describe('encrypted history on a real Temporal server', () => {
  it('keeps a campaign’s recipients, subjects and bodies out of its raw history', async () => {
    const { handle } = await env.run('orchard', sendGraph('sandbox', 'Moonlit orchard for {{name}}', 'Bring the brass lantern, {{name}}'));
    await handle.result();
    // Everyone (the seeded contacts too) but the recipient the server rejects.
    const sentTo = env.received.map((m) => m.to);
    expect(sentTo).toEqual(expect.arrayContaining(['person0@example.test', 'person2@example.test', 'ada@example.test']));
    expect(sentTo).not.toContain(rejected);
    const raw = rawHistory(handle.workflowId);
    expect(raw).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    for (const clear of [
      'person0@example.test',
      rejected,
      'Person 0',
      'ada@example.test',
      'Ada Lovelace',
      'Moonlit orchard',
      'brass lantern',
      '"profileId"',
    ]) {
      expect(raw, `"${clear}" in the raw history`).not.toContain(clear);
    }
  });

  it('encrypts failure messages too: an SMTP reply naming the recipient is not in clear, and the client still reads it', async () => {
    const plan = await publishForTest(env.db, 'note', sendGraph('sandbox', 'A note for Person 1', 'The copper key is under the mat'));
    const workflowId = 'journey:history-test';
    const input: JourneyInput = { plan, runId: 'oneoff_history', contactId: 'ct_000001' };
    const handle = await env.client.workflow.start(journeyWorkflow, { taskQueue: 'history-test', workflowId, args: [input] });
    const result = (await handle.result()) as JourneyResult;
    // Through the codec the app reads the reply, address and all.
    expect(result).toMatchObject({ status: 'failed', error: expect.stringContaining(`<${rejected}>`) });

    const raw = rawHistory(workflowId);
    expect(raw).toContain('EVENT_TYPE_ACTIVITY_TASK_FAILED');
    // The failure's message and stack trace went into an encrypted payload.
    expect(raw).toContain('Encoded failure');
    for (const clear of [rejected, 'Recipient address rejected', 'Person 1', 'copper key', 'PermanentSmtpError at']) {
      expect(raw, `"${clear}" in the raw history`).not.toContain(clear);
    }
  });
});
