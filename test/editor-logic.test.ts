/** The editor's pure logic: undo history, copy and paste, joining neighbours on delete, step names and summaries. */
import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { delay } from '../domain/flow/nodes/delay';
import { sampleFlow } from '../domain/flow/sample';
import { nodeTitle, stepTitle } from '../domain/flow/step-title';
import { COALESCE_MS, emptyHistory, HISTORY_LIMIT, recordEdit, redoEdit, undoEdit } from '../web/components/flow-editor/edit-history';
import { copySelection, pasteClip, reconnectAround } from '../web/components/flow-editor/graph-edits';
import { insertBelow, insertOnEdge, tidyLayout } from '../web/components/flow-editor/layout';
import { describeSchemaIssue } from '../web/components/flow-editor/step-names';
import { newEditorNode, toEditor, toGraph } from '../web/components/flow-editor/types';
import { FlowGraph } from '../domain/flow/schema';

describe('undo history', () => {
  it('undoes and redoes edits in order, and a new edit clears redo', () => {
    let h = emptyHistory<string>();
    h = recordEdit(h, 'a', null, 0);
    h = recordEdit(h, 'b', null, 10);
    const u1 = undoEdit(h, 'c');
    expect(u1?.state).toBe('b');
    const u2 = u1 && undoEdit(u1.history, u1.state);
    expect(u2?.state).toBe('a');
    expect(u2 && undoEdit(u2.history, u2.state)).toBeUndefined();
    const r1 = u2 && redoEdit(u2.history, u2.state);
    expect(r1?.state).toBe('b');
    const r2 = r1 && redoEdit(r1.history, r1.state);
    expect(r2?.state).toBe('c');
    const afterNew = r1 && recordEdit(r1.history, 'b', null, 20);
    expect(afterNew && redoEdit(afterNew, 'x')).toBeUndefined();
  });

  it('joins a burst of edits with the same key into one step, but not edits further apart or of another key', () => {
    let h = emptyHistory<string>();
    h = recordEdit(h, 's0', 'edit:n1', 0);
    h = recordEdit(h, 's1', 'edit:n1', 300);
    h = recordEdit(h, 's2', 'edit:n1', 600);
    expect(h.past).toEqual(['s0']);
    h = recordEdit(h, 's3', 'edit:n2', 700);
    expect(h.past).toEqual(['s0', 's3']);
    h = recordEdit(h, 's4', 'edit:n2', 700 + COALESCE_MS + 1);
    expect(h.past).toEqual(['s0', 's3', 's4']);
    // An undo ends the burst: the next edit is a step of its own.
    const undone = undoEdit(h, 's5');
    const again = undone && recordEdit(undone.history, 's4', 'edit:n2', 700 + COALESCE_MS + 2);
    expect(again?.past).toEqual(['s0', 's3', 's4']);
  });

  it('keeps at most HISTORY_LIMIT steps', () => {
    let h = emptyHistory<number>();
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) h = recordEdit(h, i, null, i * 10_000);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(10);
  });
});

describe('deleting nodes joins their neighbours', () => {
  const edges = [
    { id: 'e1', source: 'trigger', target: 'a' },
    { id: 'e2', source: 'a', target: 'b' },
    { id: 'e3', source: 'b', target: 'exit' },
  ];

  it('connects the step before a deleted middle node to the one after it', () => {
    expect(reconnectAround(new Set(['a']), edges)).toEqual([{ id: 'e-trigger-b', source: 'trigger', target: 'b' }]);
  });

  it('walks past several deleted nodes in a row', () => {
    expect(reconnectAround(new Set(['a', 'b']), edges)).toEqual([{ id: 'e-trigger-exit', source: 'trigger', target: 'exit' }]);
  });

  it('adds nothing for a last or unconnected node, or when the connection is there already', () => {
    expect(reconnectAround(new Set(['exit']), edges)).toEqual([]);
    expect(reconnectAround(new Set(['lonely']), edges)).toEqual([]);
    expect(reconnectAround(new Set(['a']), [...edges, { id: 'x', source: 'trigger', target: 'b' }])).toEqual([]);
  });
});

describe('copy and paste', () => {
  it('copies the selected nodes (never the Trigger) and the connections among them, and pastes them with new ids, shifted and selected', () => {
    const { nodes, edges } = toEditor(sampleFlow('p'));
    const selected = nodes.map((n) => ({ ...n, selected: ['trigger', 'wait', 'welcome'].includes(n.id) }));
    const clip = copySelection(selected, edges);
    expect(clip?.nodes.map((n) => n.id)).toEqual(['wait', 'welcome']);
    expect(clip?.edges.map((e) => e.id)).toEqual(['e-wait-welcome']);
    if (!clip) return;
    const pasted = pasteClip(clip, new Set(nodes.map((n) => n.id)), 2);
    expect(pasted.nodes).toHaveLength(2);
    for (const [i, n] of pasted.nodes.entries()) {
      const from = clip.nodes[i];
      expect(nodes.some((o) => o.id === n.id)).toBe(false);
      expect(n.selected).toBe(true);
      expect(n.data).toEqual(from?.data);
      expect(n.position).toEqual({ x: (from?.position.x ?? 0) + 80, y: (from?.position.y ?? 0) + 80 });
    }
    expect(pasted.edges).toEqual([{ id: expect.any(String), source: pasted.nodes[0]?.id, target: pasted.nodes[1]?.id, selected: false }]);
    // The pasted graph is still a well-formed draft.
    expect(FlowGraph.safeParse(toGraph([...nodes, ...pasted.nodes], [...edges, ...pasted.edges])).success).toBe(true);
    expect(
      copySelection(
        nodes.map((n) => ({ ...n, selected: n.id === 'trigger' })),
        edges,
      ),
    ).toBeUndefined();
  });
});

describe('step names and summaries', () => {
  it('carries a step name into the saved graph and the compiled plan', () => {
    const graph = sampleFlow('p');
    const { nodes, edges } = toEditor(graph);
    const named = nodes.map((n) => (n.id === 'welcome' ? { ...n, name: '  Welcome email ' } : n));
    const saved = toGraph(named, edges);
    expect(saved.nodes.find((n) => n.id === 'welcome')?.name).toBe('Welcome email');
    expect(saved.nodes.find((n) => n.id === 'wait')).not.toHaveProperty('name');
    const result = compile(saved, { flowId: 'f', version: 1 });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.steps.welcome?.name).toBe('Welcome email');
    expect(result.plan.steps.wait).not.toHaveProperty('name');
    expect(stepTitle(result.plan.steps.welcome, 'welcome')).toBe('Welcome email');
    expect(stepTitle(result.plan.steps.wait, 'wait')).toBe(nodeTitle(saved.nodes.find((n) => n.id === 'wait')!));
    expect(stepTitle(undefined, 'gone')).toBe('gone');
  });

  it('refuses a name with a line break, naming the field', () => {
    const graph = sampleFlow('p');
    const bad = { ...graph, nodes: graph.nodes.map((n) => (n.id === 'wait' ? { ...n, name: 'two\nlines' } : n)) };
    const result = compile(bad, { flowId: 'f', version: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ nodeId: 'wait', field: 'name' })]);
  });

  it('never says NaN when a wait is left empty, and says which field is missing', () => {
    expect(delay.summary({ mode: 'random', min: Number.NaN, max: 2, unit: 'minutes' })).toBe('Random wait: set Min');
    expect(delay.summary({ mode: 'random', min: 1, max: Number.NaN, unit: 'minutes' })).toBe('Random wait: set Max');
    expect(delay.summary({ mode: 'fixed', amount: Number.NaN, unit: 'days' })).toBe('Wait: set how long');
    // Saved and loaded, an empty box is null.
    expect(delay.summary({ mode: 'random', min: null as unknown as number, max: 2, unit: 'minutes' })).toBe('Random wait: set Min');
    expect(delay.summary({ mode: 'random', min: 1, max: 2, unit: 'minutes' })).toBe('Wait 1–2 minutes (random)');
  });

  it('describes why a draft cannot be saved by the field label and the step, not by path or id', () => {
    const graph = sampleFlow('p');
    const broken = {
      ...graph,
      nodes: graph.nodes.map((n) => (n.id === 'wait' && n.type === 'delay' ? { ...n, data: { ...n.data, min: Number.NaN } } : n)),
    };
    const parsed = FlowGraph.safeParse(broken);
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const text = describeSchemaIssue(broken, parsed.error.issues[0]);
    expect(text).toBe('Min on Delay “Random wait: set Min”: enter a number (0 or more)');
    expect(nodeTitle({ type: 'delay', name: 'Wait a day', data: {} })).toBe('Delay “Wait a day”');
    expect(nodeTitle({ type: 'trigger', data: { source: 'audience' } })).toBe('Trigger');
  });
});

describe('placing nodes', () => {
  const sample = () => toEditor(sampleFlow('p'));
  const newNode = (type: 'delay' | 'exit', id: string) => newEditorNode(type, id, { x: 999, y: 999 }, { defaultProfileId: 'p' });

  it('puts a step added under a node that leads on into the chain, and moves the rest down', () => {
    const { nodes, edges } = sample();
    const added = newNode('delay', 'd2');
    const next = insertBelow(nodes, edges, 'wait', added);
    expect(next.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(['d2>welcome', 'trigger>wait', 'wait>d2', 'welcome>done']);
    const y = (id: string) => next.nodes.find((n) => n.id === id)?.position.y ?? Number.NaN;
    expect(y('wait')).toBeLessThan(y('d2'));
    expect(y('d2')).toBeLessThan(y('welcome'));
    expect(y('welcome')).toBeLessThan(y('done'));
    const compiled = compile(toGraph(next.nodes, next.edges), { flowId: 'f', version: 1 });
    expect(compiled.ok).toBe(true);
  });

  it('connects a step added under the last node, and leaves an Exit that would cut the flow unconnected', () => {
    const { nodes, edges } = sample();
    const exit = newNode('exit', 'x2');
    expect(insertBelow(nodes, edges, 'wait', exit).edges).toEqual(edges);
    const lone = toEditor({ schemaVersion: 1, nodes: [sampleFlow('p').nodes[0] as never], edges: [] });
    const connected = insertBelow(lone.nodes, [], 'trigger', exit);
    expect(connected.edges).toEqual([{ id: 'e-trigger-x2', source: 'trigger', target: 'x2' }]);
  });

  it('puts a step dropped on a connection in the middle of it, moving the steps after it down only when they are in the way', () => {
    const { nodes, edges } = sample();
    const dropped = { ...newNode('delay', 'd2'), position: { x: 0, y: 360 } };
    const next = insertOnEdge(nodes, edges, 'e-welcome-done', dropped);
    expect(next.inserted).toBe(true);
    expect(next.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(['d2>done', 'trigger>wait', 'wait>welcome', 'welcome>d2']);
    const y = (id: string) => next.nodes.find((n) => n.id === id)?.position.y ?? Number.NaN;
    expect(y('done')).toBeGreaterThanOrEqual(360 + 90 + 60);
    expect(y('welcome')).toBe(280);
    expect(compile(toGraph(next.nodes, next.edges), { flowId: 'f', version: 1 }).ok).toBe(true);

    const farAbove = insertOnEdge(nodes, edges, 'e-welcome-done', { ...dropped, position: { x: 300, y: 0 } });
    expect(farAbove.nodes.find((n) => n.id === 'done')?.position.y).toBe(420);

    const exit = insertOnEdge(nodes, edges, 'e-welcome-done', newNode('exit', 'x2'));
    expect(exit.inserted).toBe(false);
    expect(exit.edges).toEqual(edges);
  });

  it('lays a scrambled flow out top to bottom in the order of its connections, with no two nodes overlapping', () => {
    const { nodes, edges } = sample();
    const scrambled = nodes.map((n, i) => ({ ...n, position: { x: (i * 37) % 100, y: 400 - i * 100 } }));
    const tidied = tidyLayout(scrambled, edges);
    const y = (id: string) => tidied.find((n) => n.id === id)?.position.y ?? Number.NaN;
    expect(y('trigger')).toBeLessThan(y('wait'));
    expect(y('wait')).toBeLessThan(y('welcome'));
    expect(y('welcome')).toBeLessThan(y('done'));
    for (const a of tidied)
      for (const b of tidied)
        if (a !== b) expect(Math.abs(a.position.y - b.position.y) >= 90 || Math.abs(a.position.x - b.position.x) >= 240).toBe(true);
  });
});
