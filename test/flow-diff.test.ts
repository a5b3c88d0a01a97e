import { describe, expect, it } from 'vitest';
import { diffFlows, hasChanges, summarizeDiff } from '../domain/flow/diff';
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

  it('names added, removed and edited steps by their titles, never their ids, and says which fields changed', () => {
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
    expect(diff.edited).toEqual([{ title: 'Send Email “Welcome email”', fields: ['name', 'subject'] }]);
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
