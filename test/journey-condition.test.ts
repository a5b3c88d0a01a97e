/**
 * The Condition node in the per-contact journey, on a real Temporal server (the Java test server,
 * time-skipping) with the real activities and real SMTP servers: branches on attributes, lists and segments,
 * and a branch on the outcome of an earlier send that a server refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConditionActivities } from '../activities/condition';
import { createSendEmail } from '../activities/send-email';
import type { ConditionTest } from '../domain/flow/nodes/condition';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { getSend } from '../server/db/deliveries';
import { updateContact } from '../server/db/contacts';
import { addToList, insertList } from '../server/db/lists';
import { insertSegment } from '../server/db/segments';
import type { ReceivedMessage } from '../server/db/sandbox';
import { insertSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { journeyWorkflowId } from '../workflows/contracts';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { journeyWorkflow } from '../workflows/journey';
import { conditionFlow } from './condition-flows';
import { localSmtpPolicy, localSmtpServer, profileInput, publishForTest, root, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

let env: TestWorkflowEnvironment;
let good: SandboxSmtp;
let closeRefusing: (() => Promise<void>) | undefined;
let refusingPort = 0;
let refused = 0;
let db: Db;
let listId: string;
const received: ReceivedMessage[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  good = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push(m) });
  // Refuses every message after DATA with 554 5.7.1 (content policy): a permanent failure that, unlike a
  // 5.1.1 bad mailbox, does not suppress the contact, so the "failed" branch can still write to them.
  ({ port: refusingPort, close: closeRefusing } = await localSmtpServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        refused++;
        callback(Object.assign(new Error('5.7.1 Message rejected by content policy'), { responseCode: 554 }));
      });
    },
  }));
  ({ db } = await tempInstall());
  await updateSmtpProfile(db, 'sandbox', profileInput({ port: good.port }), '');
  await insertSmtpProfile(db, profileInput({ name: 'Refusing', port: refusingPort }), { passwordEnc: '', ownerId: null, id: 'refusing' });
  await updateContact(db, 'ct_ada', { attributes: { plan: 'vip' } });
  await updateContact(db, 'ct_grace', { attributes: { plan: 'free' } });
  listId = await insertList(db, 'Beta testers');
  await addToList(db, listId, ['ct_linus']);
});

afterAll(async () => {
  transports.close();
  await good?.close();
  await closeRefusing?.();
  await db?.destroy();
  await env?.teardown();
});

async function runJourney(flowId: string, graph: unknown, contactId: string) {
  const runId = `run-${flowId}-${contactId}`;
  const plan = await publishForTest(db, flowId, graph as FlowGraph);
  const workflowId = journeyWorkflowId(flowId, 1, contactId, runId);
  const taskQueue = `test-${flowId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...workflowOptions(),
    activities: { sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 1) }), ...createConditionActivities({ db }) },
  });
  const result = await worker.runUntil(env.client.workflow.execute(journeyWorkflow, { taskQueue, workflowId, args: [{ plan, runId, contactId }] }));
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { result, runId, history };
}

const subjectsTo = (email: string) => received.filter((m) => m.envelopeTo === email).map((m) => m.subject);

describe('journey: Condition', () => {
  const vip: ConditionTest = { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } };
  const byAttributeAndList = () =>
    conditionFlow({
      profileId: 'sandbox',
      branches: [
        { id: 'vips', label: 'VIPs', test: vip, subject: 'For VIPs' },
        { id: 'beta', label: 'Beta testers', test: { kind: 'inList', listId }, subject: 'For beta testers' },
      ],
      otherwiseSubject: 'For everyone else',
    });

  it("takes each contact down its own branch: an attribute, a list, or Otherwise, as the server's mailbox shows", async () => {
    const graph = byAttributeAndList();
    for (const contactId of ['ct_ada', 'ct_grace', 'ct_linus']) {
      const { result } = await runJourney(`split-${contactId}`, graph, contactId);
      expect(result).toMatchObject({ status: 'completed', sent: 1 });
    }
    expect(subjectsTo('ada@example.test')).toEqual(['For VIPs']);
    expect(subjectsTo('linus@example.test')).toEqual(['For beta testers']);
    expect(subjectsTo('grace@example.test')).toEqual(['For everyone else']);
  });

  it('takes the "failed" branch when the server refused the earlier send, and records a history the replay test reuses', async () => {
    const graph = conditionFlow({
      profileId: 'sandbox',
      first: 'Welcome',
      branches: [
        { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' }, subject: 'We could not reach you' },
      ],
      otherwiseSubject: 'Glad you got it',
    }) as { nodes: { id: string; data: { profileId?: string } }[] };
    // The first message goes through the server that refuses every recipient.
    const first = graph.nodes.find((n) => n.id === 'first');
    if (first) first.data.profileId = 'refusing';
    const { result, runId, history } = await runJourney('bounce', graph, 'ct_grace');
    expect(result).toEqual({ status: 'completed', nodeId: 'exit-bounced', sent: 1 });
    expect((await getSend(db, { runId, nodeId: 'first', contactId: 'ct_grace' }))?.status).toBe('FAILED');
    expect(refused).toBe(1);
    // The good server's own record: only the "failed" branch's message reached it.
    expect(subjectsTo('grace@example.test')).toContain('We could not reach you');
    expect(subjectsTo('grace@example.test')).not.toContain('Glad you got it');
    expect(subjectsTo('grace@example.test')).not.toContain('Welcome');
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-condition-failed-send.json'), historyToJSON(history));
    }
  });

  it('takes Otherwise when the earlier send went out', async () => {
    const graph = conditionFlow({
      profileId: 'sandbox',
      first: 'Hello Ada',
      branches: [{ id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' }, subject: 'Ada bounced' }],
      otherwiseSubject: 'Ada got it',
    });
    const { result } = await runJourney('delivered', graph, 'ct_ada');
    expect(result).toEqual({ status: 'completed', nodeId: 'exit-otherwise', sent: 2 });
    expect(subjectsTo('ada@example.test')).toEqual(expect.arrayContaining(['Hello Ada', 'Ada got it']));
    expect(subjectsTo('ada@example.test')).not.toContain('Ada bounced');
  });

  it('takes a segment branch when the contact matches the segment’s rules as saved when it reaches the Condition', async () => {
    const segmentId = await insertSegment(db, {
      name: 'Paying',
      filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] },
      createdBy: 'admin-test',
    });
    const graph = conditionFlow({
      profileId: 'sandbox',
      branches: [{ id: 'paying', label: 'Paying', test: { kind: 'inSegment', segmentId }, subject: 'Segment: paying' }],
      otherwiseSubject: 'Segment: not paying',
    });
    expect((await runJourney('segment-ada', graph, 'ct_ada')).result).toMatchObject({ nodeId: 'exit-paying' });
    expect((await runJourney('segment-grace', graph, 'ct_grace')).result).toMatchObject({ nodeId: 'exit-otherwise' });
    expect(subjectsTo('ada@example.test').filter((s) => s.startsWith('Segment:'))).toEqual(['Segment: paying']);
    expect(subjectsTo('grace@example.test').filter((s) => s.startsWith('Segment:'))).toEqual(['Segment: not paying']);
  });
});
