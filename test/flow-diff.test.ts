import { describe, expect, it } from 'vitest';
import { changeText, diffFlows, hasChanges, summarizeDiff } from '../domain/flow/diff';
import { changedText, fieldLabel, valueText } from '../domain/flow/field-labels';
import { sampleFlow } from '../domain/flow/sample';
import type { FlowGraph } from '../domain/flow/schema';

const published = sampleFlow('p');

/** The sample with some changes made, as the editor would save them. */
function edited(change: (g: FlowGraph) => FlowGraph): FlowGraph {
  return change(structuredClone(published));
}

describe('what a draft changes from the published version', () => {
  it('finds nothing when only positions changed, or data keys are in another order', () => {
    const moved = edited((g) => ({
      ...g,
      nodes: g.nodes.map((n) =>
        n.type === 'delay' ? { ...n, position: { x: 500, y: 9 }, data: { unit: 'seconds', max: 3, min: 1, mode: 'random' } } : n,
      ),
    }));
    const diff = diffFlows(published, moved);
    expect(hasChanges(diff)).toBe(false);
    expect(summarizeDiff(diff)).toBe('');
  });

  it('names added, removed and edited steps by their titles, never their ids, and each changed field by its label, old → new', () => {
    const draft = edited((g) => ({
      ...g,
      nodes: [
        ...g.nodes
          .filter((n) => n.id !== 'wait')
          .map((n) => (n.type === 'sendEmail' ? { ...n, name: 'Welcome email', data: { ...n.data, subject: 'Hello there' } } : n)),
        { id: 'delay-x1y2z3', type: 'delay', name: 'Wait a day', position: { x: 0, y: 0 }, data: { mode: 'fixed', amount: 1, unit: 'days' } },
      ],
      edges: [
        { id: 'e-trigger-delay-x1y2z3', source: 'trigger', target: 'delay-x1y2z3' },
        { id: 'e-delay-x1y2z3-welcome', source: 'delay-x1y2z3', target: 'welcome' },
        { id: 'e-welcome-done', source: 'welcome', target: 'done' },
      ],
    }));
    const diff = diffFlows(published, draft);
    expect(diff.added).toEqual(['Delay “Wait a day”']);
    expect(diff.removed).toEqual(['Delay “Wait 1–3 seconds (random)”']);
    expect(diff.edited).toEqual([
      {
        title: 'Send Email “Welcome email”',
        changes: [
          { field: 'name', label: 'Step name', before: '(empty)', after: '“Welcome email”' },
          { field: 'data.subject', label: 'Subject', before: '“Welcome to Dripline, {{name}}”', after: '“Hello there”' },
        ],
      },
    ]);
    expect(diff.edited[0]?.changes.map(changeText)).toEqual([
      'Step name: (empty) → “Welcome email”',
      'Subject: “Welcome to Dripline, {{name}}” → “Hello there”',
    ]);
    expect(diff.connected).toEqual(['Trigger → Delay “Wait a day”', 'Delay “Wait a day” → Send Email “Welcome email”']);
    expect(diff.disconnected).toEqual([
      'Trigger → Delay “Wait 1–3 seconds (random)”',
      'Delay “Wait 1–3 seconds (random)” → Send Email “Welcome email”',
    ]);
    expect(JSON.stringify(diff)).not.toMatch(/delay-x1y2z3|"wait"/);
    expect(hasChanges(diff)).toBe(true);
    expect(summarizeDiff(diff)).toBe('1 step added, 1 step removed, 1 step edited, 4 connections changed');
  });

  it('counts a step whose kind changed under the same id as removed and added', () => {
    const draft = edited((g) => ({
      ...g,
      nodes: g.nodes.map((n) => (n.id === 'wait' ? { id: 'wait', type: 'exit', position: n.position, data: {} } : n)),
    }));
    const diff = diffFlows(published, draft);
    expect(diff.removed).toEqual(['Delay “Wait 1–3 seconds (random)”']);
    expect(diff.added).toEqual(['Exit “The journey ends here”']);
    expect(diff.edited).toEqual([]);
  });
});

describe('fields and values in the words of the form', () => {
  it('labels every field as the side panel does, never by its key', () => {
    expect(fieldLabel('data.otherwiseLabel')).toBe('Default branch name');
    expect(fieldLabel('data.html')).toBe('HTML body');
    expect(fieldLabel('data.timeZone')).toBe('Time zone for contacts without one');
    expect(fieldLabel('data.profileId')).toBe('Sender');
    expect(fieldLabel('data.whenCapped')).toBe('If the contact had enough emails');
    expect(fieldLabel('data.branches.1.label')).toBe('Branch 2 name');
    expect(fieldLabel('data.branches.0.percent')).toBe('Branch 1 percent');
    expect(fieldLabel('data.branches.2.test.listId')).toBe('Branch 3 list');
    expect(fieldLabel('data.branches.0.test.filter.rules.1.value')).toBe('Branch 1 rules');
    expect(fieldLabel('nodes[3]')).toBe('Step 4');
    // A field no form shows still reads as words.
    expect(fieldLabel('data.someNewSetting')).toBe('Some new setting');
  });

  it('says values as the form shows them: options, senders, days, empty', () => {
    expect(valueText('data.mode', 'random')).toBe('Randomize');
    expect(valueText('data.format', 'html')).toBe('HTML');
    expect(valueText('data.profileId', '@agent-default')).toBe('Agent’s default');
    expect(valueText('data.profileId', 'p1', { profileName: (id) => (id === 'p1' ? 'Marketing' : undefined) })).toBe('Marketing');
    expect(valueText('data.days', ['mon', 'tue', 'wed', 'thu', 'fri'])).toBe('Mon–Fri');
    expect(valueText('data.randomize', true)).toBe('on');
    const lists = { listName: (id: string) => (id === 'lst_1' ? 'Newsletter' : undefined) };
    expect(valueText('data.branches.0.test', { kind: 'inList', listId: 'lst_1' }, lists)).toBe('in list “Newsletter”');
    expect(valueText('data.preheader', undefined)).toBe('(empty)');
    // A field left out reads as the form shows it.
    expect(valueText('data.format', undefined)).toBe('Text only');
    expect(valueText('data.reentry', undefined)).toBe('Once ever');
  });

  it('shortens a long text around what changed, so a big HTML body reads as old → new', () => {
    const body = (greeting: string) =>
      `<html><body>${'<p>Intro paragraph.</p>'.repeat(200)}<p>${greeting} {{name}}</p>${'<p>Footer.</p>'.repeat(100)}</body></html>`;
    const { before, after } = changedText(body('Hello'), body('Hi there'));
    expect(before).toBe('“…Intro paragraph.</p><p>Hello {{name}}</p><p>Footer.<…”');
    expect(after).toBe('“…Intro paragraph.</p><p>Hi there {{name}}</p><p>Footer.<…”');
    // Short texts whole, on one line.
    expect(changedText('Hi\nthere', 'Hello')).toEqual({ before: '“Hi there”', after: '“Hello”' });
  });

  it('lists a Condition’s and a split’s changes branch by branch, and the sender by name', () => {
    const draft = edited((g) => ({
      ...g,
      nodes: g.nodes.map((n) =>
        n.type === 'sendEmail' ? { ...n, data: { ...n.data, profileId: '@agent-default', format: 'html' as const, html: '<p>Hi</p>' } } : n,
      ),
    }));
    const diff = diffFlows(published, draft, { profileName: (id) => (id === 'p' ? 'Sandbox' : undefined) });
    expect(diff.edited[0]?.changes.map(changeText)).toEqual([
      'Sender: Sandbox → Agent’s default',
      'Body: Text only → HTML',
      'HTML body: (empty) → “<p>Hi</p>”',
    ]);

    const split = (percentA: number, labelB: string): FlowGraph => ({
      ...published,
      nodes: [
        ...published.nodes,
        {
          id: 'ab',
          type: 'split',
          position: { x: 0, y: 0 },
          data: {
            branches: [
              { id: 'a', label: 'A', percent: percentA },
              { id: 'b', label: labelB, percent: 100 - percentA },
            ],
          },
        },
      ],
    });
    expect(diffFlows(split(50, 'B'), split(70, 'Control')).edited[0]?.changes.map(changeText)).toEqual([
      'Branch 1 percent: 50 → 70',
      'Branch 2 name: “B” → “Control”',
      'Branch 2 percent: 50 → 30',
    ]);
  });
});
