/**
 * The A/B split on a real Temporal server and a real SMTP server, one stack for both: a campaign run
 * split 50/50 into two Send steps, and journeys through the same flow, each contact receiving exactly
 * the one message of the branch drawn for it (by the SMTP server's own record). The journey's history
 * is committed (test/histories/journey-ab-split.json) for test/replay.test.ts. Re-record after an
 * intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/ab-split-temporal.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journeySeed, type SplitStep, splitBranch, splitDraw } from '../domain/flow/nodes/split';
import { listContacts } from '../server/db/contacts';
import { journeyWorkflowId, stateQuery } from '../workflows/contracts';
import { journeyWorkflow } from '../workflows/journey';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { publishForTest, root } from './helpers';
import { HALVES, splitFlow } from './split-flows';

const TASK_QUEUE = 'ab-split-test';
const CONTACTS = 40;
let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: CONTACTS, taskQueue: TASK_QUEUE, inProcessWorker: true });
});
afterAll(async () => env?.close());

/** What each address received since `before`: the variant line of each message. */
function variantsSince(before: number): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const m of env.received.slice(before)) by.set(m.to, [...(by.get(m.to) ?? []), /variant (\w+)/.exec(m.text)?.[1] ?? m.text]);
  return by;
}

describe('an A/B split', () => {
  it('in a campaign: every contact receives exactly one of the two messages, the one its draw from the run’s seed picks', async () => {
    const before = env.received.length;
    const { handle } = await env.run('ab-campaign', splitFlow('sandbox', HALVES));
    const everyone = await listContacts(env.db);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: everyone.length, failed: 0 });
    const { seed } = await handle.query(stateQuery);
    const step = { branches: HALVES.map((b) => ({ ...b, next: `send-${b.id}` })) };

    const got = variantsSince(before);
    for (const c of everyone) {
      expect(got.get(c.email), c.email).toEqual([splitBranch(step, splitDraw(seed, 'ab', c.id)).branch.toUpperCase()]);
    }
    expect(got.size).toBe(everyone.length);
    // Both branches were taken (a 50/50 draw over 40 contacts leaves one empty with odds 2^-39).
    expect(new Set([...got.values()].flat())).toEqual(new Set(['A', 'B']));
  });

  it('in journeys: each contact goes down the branch drawn from its journey’s run id, without an activity (its history recorded for the replay test)', async () => {
    const plan = await publishForTest(env.db, 'ab-journey', splitFlow('sandbox', HALVES));
    const contacts = (await listContacts(env.db)).slice(0, 10);
    const before = env.received.length;
    const histories = [];
    for (const c of contacts) {
      const runId = `ab-journey-${c.id}`;
      const workflowId = journeyWorkflowId('ab-journey', plan.version, c.id, runId);
      const drawn = splitBranch(plan.steps.ab as SplitStep, splitDraw(journeySeed(runId), 'ab', c.id));
      const result = await env.client.workflow.execute(journeyWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [{ plan, runId, contactId: c.id }],
      });
      expect(result).toEqual({ status: 'completed', nodeId: `exit-${drawn.branch}`, sent: 1 });
      histories.push(await env.client.workflow.getHandle(workflowId).fetchHistory());
    }
    const got = variantsSince(before);
    for (const c of contacts) expect(got.get(c.email)?.length, c.email).toBe(1);
    expect(new Set([...got.values()].flat())).toEqual(new Set(['A', 'B']));

    // The branch is drawn in workflow code: the only activity is the branch's send.
    const first = histories[0];
    if (!first) throw new Error('no journey ran');
    expect(first.events?.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual(['sendEmail']);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-ab-split.json'), historyToJSON(first));
    }
  });
});
