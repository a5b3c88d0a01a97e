/**
 * Replays a committed history of a journey with a Randomize delay: if a change to the workflow
 * code would make a run in flight take another path (or draw another delay), this fails.
 * Re-record after an intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/journey.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { makeKeyring } from '../server/crypto';
import { workerDataConverter } from '../server/temporal-codec';
import { journeyEventSignal, journeySegmentSignal, pauseSignal, rescheduleSignal, resumeSignal } from '../workflows/contracts';
import { failureConverterPath, root, testSecretKey, workflowsPath } from './helpers';

// As the worker replays: through the payload codec, with the key the campaign tests record with. The
// committed histories were recorded before payloads were encrypted, so this also proves decode lets
// unencrypted payloads through.
const replayOptions = { workflowsPath, dataConverter: workerDataConverter(makeKeyring(Buffer.from(testSecretKey, 'hex')), failureConverterPath) };

const file = path.join(root, 'test', 'histories', 'journey-random-delay.json');

describe('replay', () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));

  it('the committed history has a random delay timer and a completed send', () => {
    const events = history.events ?? [];
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'journey-random-delay')).resolves.toBeUndefined();
  });

  it('fails the replay when the history no longer matches what the code does', async () => {
    // The recorded run scheduled sendEmail; a history that says otherwise must be caught as non-determinism.
    const tampered = historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
    const scheduled = tampered.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    if (!scheduled?.activityType) throw new Error('history has no scheduled activity');
    scheduled.activityType.name = 'sendSms';
    await expect(Worker.runReplayHistory(replayOptions, tampered, 'journey-random-delay-tampered')).rejects.toThrow(/[Nn]ondetermin/);
  });
});

/**
 * A campaign paused and resumed, over 300 recipients: a delay, batches, signals. Re-record after an
 * intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign.test.ts -t pauses
 */
describe('replay of a campaign', () => {
  const campaign = historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', 'campaign-pause-resume.json'), 'utf8')));

  it('the committed history has the pause and resume signals, batches and a completion', () => {
    const events = campaign.events ?? [];
    const signals = events.flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes?.signalName ? [e.workflowExecutionSignaledEventAttributes.signalName] : [],
    );
    expect(signals).toEqual([pauseSignal.name, resumeSignal.name]);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch').length).toBeGreaterThan(0);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, campaign, 'campaign-pause-resume')).resolves.toBeUndefined();
  });
});

/**
 * A journey through two Send windows across the 2027 spring-forward in New York (the contact's
 * zone, read by the sendWindowDueAt activity). Re-record after an intended change behind patched():
 * DRIPLINE_RECORD_HISTORY=1 npx vitest run test/send-window-journey.test.ts -t New_York
 */
describe('replay of a journey with Send windows', () => {
  const windowed = historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', 'journey-send-window.json'), 'utf8')));

  it('the committed history asks for the window twice, sleeps until each opening and sends twice', () => {
    const events = windowed.events ?? [];
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(activities).toEqual(['sendWindowDueAt', 'sendEmail', 'sendWindowDueAt', 'sendEmail']);
    expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(2);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, windowed, 'journey-send-window')).resolves.toBeUndefined();
  });
});

/**
 * A journey with a Condition on the outcome of a send the server refused: the failed send, the
 * chooseBranch activity and the "failed" branch's send. Re-record after an intended change behind
 * patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/journey-condition.test.ts
 */
describe('replay of a journey with a Condition', () => {
  const conditionFile = path.join(root, 'test', 'histories', 'journey-condition-failed-send.json');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(conditionFile, 'utf8')));

  it('the committed history has the failed send, the branch chosen and the branch send', () => {
    const events = history.events ?? [];
    const scheduled = events.flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [],
    );
    expect(scheduled).toEqual(['sendEmail', 'chooseBranch', 'sendEmail']);
    expect(events.some((e) => e.activityTaskFailedEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'journey-condition-failed-send')).resolves.toBeUndefined();
  });
});

/**
 * A journey through an A/B split: the branch is drawn in workflow code (no activity), then the
 * branch's send. Re-record after an intended change behind patched():
 * DRIPLINE_RECORD_HISTORY=1 npx vitest run test/ab-split-temporal.test.ts
 */
describe('replay of a journey with an A/B split', () => {
  const splitFile = path.join(root, 'test', 'histories', 'journey-ab-split.json');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(splitFile, 'utf8')));

  it('the committed history has only the drawn branch’s send and a completion', () => {
    const events = history.events ?? [];
    expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual(['sendEmail']);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'journey-ab-split')).resolves.toBeUndefined();
  });
});

/**
 * A campaign scheduled for tomorrow, rescheduled to the day after, whose first send is spread over an
 * hour: the start timer, the reschedule signal, then one batch per tick. Re-record after an intended
 * change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-schedule.test.ts
 */
describe('replay of a scheduled, rescheduled and spread campaign', () => {
  const scheduledFile = path.join(root, 'test', 'histories', 'campaign-scheduled-spread.json');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(scheduledFile, 'utf8')));

  it('the committed history has the reschedule signal, timers and a batch per tick of the spread', () => {
    const events = history.events ?? [];
    expect(events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? [])).toEqual([rescheduleSignal.name]);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch')).toHaveLength(3);
    expect(events.filter((e) => e.timerStartedEventAttributes).length).toBeGreaterThanOrEqual(4);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'campaign-scheduled-spread')).resolves.toBeUndefined();
  });
});

/**
 * A journey through a Webhook whose server answered 503 twice, then 200: one callWebhook activity,
 * retried by Temporal, and the Succeeded branch. Re-record after an intended change behind patched():
 * DRIPLINE_RECORD_HISTORY=1 npx vitest run test/webhook-temporal.test.ts
 */
describe('replay of a journey with a Webhook', () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', 'journey-webhook.json'), 'utf8')));

  it('the committed history has one webhook call, completed on its third attempt, and a completion', () => {
    const events = history.events ?? [];
    expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual(['callWebhook']);
    expect(events.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt).toBe(3);
    expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'journey-webhook')).resolves.toBeUndefined();
  });
});

/**
 * Journeys that heard API events (the `event` signal): an abandoned cart's Wait until that the purchase
 * of the same cart ended ("Event came"), and an onboarding journey its goal ended in a Delay (converted).
 * Re-record after an intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/wait-until.test.ts
 */
describe('replay of journeys with a Wait until and a goal', () => {
  const read = (name: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', name), 'utf8')));
  const signals = (h: ReturnType<typeof read>) => (h.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  const activities = (h: ReturnType<typeof read>) =>
    (h.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

  it('the Wait until history has its timer, two events (another cart, then this one) and the "Event came" send', () => {
    const history = read('journey-wait-until.json');
    expect(signals(history)).toEqual([journeyEventSignal.name, journeyEventSignal.name]);
    expect(activities(history)).toEqual(['sendEmail']);
    expect((history.events ?? []).some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect((history.events ?? []).some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);
  });

  it('the goal history has the welcome send, the Delay’s timer cancelled by the goal event, and the conversion recorded', () => {
    const history = read('journey-goal.json');
    expect(signals(history)).toEqual([journeyEventSignal.name, journeyEventSignal.name]);
    expect(activities(history)).toEqual(['sendEmail', 'recordConversion']);
    expect((history.events ?? []).some((e) => e.timerCanceledEventAttributes)).toBe(true);
  });

  it.each(['journey-wait-until', 'journey-goal'])('replays %s deterministically with the current workflow code', async (name) => {
    await expect(Worker.runReplayHistory(replayOptions, read(`${name}.json`), name)).resolves.toBeUndefined();
  });
});

/**
 * A campaign cancelled through Temporal's cancellation: the request, the cohort's cleanup (its activities
 * finish in a non-cancellable scope), and the end as cancelled. Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-condition.test.ts -t story
 */
describe('replay of a cancelled campaign', () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', 'campaign-cancelled.json'), 'utf8')));

  it('the committed history has the cancel request, the cohort cancelled after it, and ends cancelled', () => {
    const events = history.events ?? [];
    const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
    expect(requested).toBeGreaterThan(0);
    const after = events.slice(requested).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(after).toEqual(['cancelCohort', 'setRunStatus']);
    expect(events.at(-1)?.workflowExecutionCanceledEventAttributes).toBeTruthy();
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'campaign-cancelled')).resolves.toBeUndefined();
  });
});

/**
 * A recipient's retry workflow that sets its outcome search attribute as it ends (patched 'outcome-search-attribute').
 * Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign.test.ts -t "own retry workflow"
 */
describe('replay of a retry workflow with its outcome', () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', 'retry-outcome.json'), 'utf8')));

  it('the committed history has the patch marker and the outcome upserted after the recipient was settled', () => {
    const events = history.events ?? [];
    expect(events.some((e) => e.markerRecordedEventAttributes)).toBe(true);
    // The patch itself upserts TemporalChangeVersion; then the outcome.
    const upserted = events.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    expect(upserted).toEqual(['TemporalChangeVersion', 'DriplineOutcome']);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('replays deterministically with the current workflow code', async () => {
    await expect(Worker.runReplayHistory(replayOptions, history, 'retry-outcome')).resolves.toBeUndefined();
  });
});

/**
 * A date Trigger's first 30 days (a look at each day's contacts, a timer until the next, then continued
 * as new) and the journey it started ahead, which sleeps until its moment and then sends.
 * Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/date-trigger-temporal.test.ts
 */
describe('replay of a date Trigger and its journey', () => {
  const read = (name: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', name), 'utf8')));
  const activities = (h: ReturnType<typeof read>) =>
    (h.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

  it('the date Trigger history looks at 30 days, a timer between each, and continues as new', () => {
    const history = read('date-trigger.json');
    expect(activities(history)).toEqual(Array(30).fill('startDateJourneys'));
    expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toHaveLength(30);
    expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  });

  it('the journey history sleeps until its moment, then sends once', () => {
    const events = read('journey-date.json').events ?? [];
    const timer = events.findIndex((e) => e.timerStartedEventAttributes);
    const send = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail');
    expect(timer).toBeGreaterThan(0);
    expect(send).toBeGreaterThan(timer);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it.each(['date-trigger', 'journey-date'])('replays %s deterministically with the current workflow code', async (name) => {
    await expect(Worker.runReplayHistory(replayOptions, read(`${name}.json`), name)).resolves.toBeUndefined();
  });
});

/**
 * Campaigns with a Wait until (recipients woken by an API event: the `wake` signal) and with a Webhook
 * (one page of calls beside the sends, retried by Temporal after a 500).
 * Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-steps.test.ts
 */
describe('replay of campaigns with a Wait until and a Webhook', () => {
  const read = (name: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', name), 'utf8')));
  const activities = (name: string) => (read(name).events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

  it('the committed histories have the wake signal, and one page of webhook calls completed on its second attempt', () => {
    const waits = read('campaign-wait-until.json').events ?? [];
    expect(waits.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? [])).toContain('wake');
    expect(activities('campaign-wait-until.json')).not.toContain('callWebhooks');
    const hooks = read('campaign-webhook.json').events ?? [];
    expect(activities('campaign-webhook.json').filter((a) => a === 'callWebhooks')).toHaveLength(1);
    expect(hooks.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? [])).toContain(2);
    expect(hooks.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it.each(['campaign-wait-until', 'campaign-webhook'])('replays %s deterministically with the current workflow code', async (name) => {
    await expect(Worker.runReplayHistory(replayOptions, read(`${name}.json`), name)).resolves.toBeUndefined();
  });
});

/**
 * Contacts entering segments: the segment check's looks (changed contacts every second, every contact on
 * its schedule, sleeping between) and a trial journey that entering the goal's segment ended in its Delay
 * (the `segmentEntered` signal, converted). Re-record after an intended change behind patched():
 * DRIPLINE_RECORD_HISTORY=1 npx vitest run test/segment-trigger.test.ts
 */
describe('replay of the segment check and a journey with a goal on a segment', () => {
  const read = (name: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(root, 'test', 'histories', name), 'utf8')));
  const activities = (h: ReturnType<typeof read>) =>
    (h.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

  it('the segment check history looks at changed contacts, scans every contact and sleeps between', () => {
    const history = read('segment-check.json');
    expect(new Set(activities(history))).toEqual(new Set(['checkChangedContacts', 'scanSegments']));
    expect((history.events ?? []).some((e) => e.timerStartedEventAttributes)).toBe(true);
  });

  it('the goal history has the Delay’s timer cancelled by the segment signal and the conversion recorded', () => {
    const history = read('journey-goal-segment.json');
    const signals = (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
    expect(signals).toEqual([journeySegmentSignal.name]);
    expect(activities(history)).toEqual(['recordConversion']);
    expect((history.events ?? []).some((e) => e.timerCanceledEventAttributes)).toBe(true);
  });

  it.each(['segment-check', 'journey-goal-segment'])('replays %s deterministically with the current workflow code', async (name) => {
    await expect(Worker.runReplayHistory(replayOptions, read(`${name}.json`), name)).resolves.toBeUndefined();
  });
});
