/** The editor's pure logic around a Condition's branches: edges keep their branch (sourceHandle) through every edit. */
import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { reconnectAround } from '../web/components/flow-editor/graph-edits';
import { insertBelow } from '../web/components/flow-editor/layout';
import { newEditorNode, toEditor, toGraph } from '../web/components/flow-editor/types';
import { conditionFlow } from './condition-flows';

const flow = () =>
  conditionFlow({
    profileId: 'sandbox',
    branches: [{ id: 'vips', label: 'VIPs', test: { kind: 'inList', listId: 'l1' }, subject: 'For VIPs' }],
    otherwiseSubject: 'For everyone else',
  });

describe('a Condition in the editor', () => {
  it('keeps each edge’s branch from the saved graph to the canvas and back, so the flow still compiles', () => {
    const { nodes, edges } = toEditor(flow() as never);
    expect(edges.find((e) => e.id === 'e-split-vips')?.sourceHandle).toBe('vips');
    const round = toGraph(nodes, edges);
    expect(round.edges.filter((e) => e.source === 'split').map((e) => e.sourceHandle)).toEqual(['vips', 'otherwise']);
    expect(compile(round, { flowId: 'f', version: 1 }).ok).toBe(true);
  });

  it('joins a deleted step’s neighbours from the same branch', () => {
    const { edges } = toEditor(flow() as never);
    expect(reconnectAround(new Set(['send-vips']), edges)).toEqual([
      { id: 'e-split-vips-exit-vips', source: 'split', target: 'exit-vips', sourceHandle: 'vips' },
    ]);
  });

  it('places a new step under a Condition without choosing a branch for it, and a new Condition goes on by its first branch', () => {
    const { nodes, edges } = toEditor(flow() as never);
    const added = newEditorNode('delay', 'd1', { x: 0, y: 0 }, { defaultProfileId: 'sandbox' });
    expect(insertBelow(nodes, edges, 'split', added).edges).toEqual(edges);

    const cond = newEditorNode('condition', 'c1', { x: 0, y: 0 }, { defaultProfileId: 'sandbox' });
    const inserted = insertBelow(nodes, edges, 'send-vips', cond).edges;
    expect(inserted).toContainEqual({ id: 'e-c1-b1-exit-vips', source: 'c1', target: 'exit-vips', sourceHandle: 'b1' });
  });
});
