/** Where steps go on the canvas: room made for a new step, the tidy layout's branches, popups kept in view. */
import { describe, expect, it } from 'vitest';
import { type Box, type Link, makeRoom, overlaps, placePopup, SIDE_GAP, STEP_GAP, tidy } from '../domain/flow/placing';
import { insertAfter, insertOnEdge, tidyLayout } from '../web/components/flow-editor/layout';
import { newEditorNode, toEditor } from '../web/components/flow-editor/types';
import { conditionFlow } from './condition-flows';

const box = (id: string, x: number, y: number, height = 90): Box => ({ id, x, y, width: 240, height });

function expectNoOverlap(boxes: readonly Box[]) {
  for (const a of boxes) for (const b of boxes) if (a !== b) expect(overlaps(a, b), `${a.id} covers ${b.id}`).toBe(false);
}

/** Do the straight lines a→b and c→d cross (touching ends do not count)? */
function cross(a: { x: number; y: number }, b: { x: number; y: number }, c: { x: number; y: number }, d: { x: number; y: number }) {
  const side = (p: typeof a, q: typeof a, r: typeof a) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

describe('making room for a new step', () => {
  const chain = [box('trigger', 0, 0), box('a', 0, 150), box('b', 0, 300), box('c', 0, 450)];
  const links: Link[] = [
    { source: 'trigger', target: 'a' },
    { source: 'a', target: 'new' },
    { source: 'new', target: 'b' },
    { source: 'b', target: 'c' },
  ];

  it('moves the steps after a step dropped onto them down, with the gap kept, and leaves the steps before it', () => {
    // Dropped on the connection a → b, right on top of b.
    const placed = makeRoom([...chain, box('new', 0, 290, 110)], links, 'new');
    expectNoOverlap(placed);
    const at = new Map(placed.map((b) => [b.id, b]));
    expect(at.get('trigger')?.y).toBe(0);
    expect(at.get('a')?.y).toBe(150);
    expect(at.get('new')?.y).toBe(300);
    expect(at.get('b')?.y).toBe(300 + 110 + STEP_GAP);
    expect((at.get('c')?.y ?? 0) - (at.get('b')?.y ?? 0)).toBe(150);
  });

  it('puts a step dropped over the step before it below that step, clear of its outputs', () => {
    const placed = makeRoom([...chain, box('new', 20, 160)], links, 'new');
    expectNoOverlap(placed);
    const at = new Map(placed.map((b) => [b.id, b]));
    expect(at.get('new')?.y).toBeGreaterThanOrEqual(150 + 90 + STEP_GAP);
    expect(at.get('a')?.y).toBe(150);
  });

  it('moves an unrelated step in the way down with the steps after it, and leaves steps out of the way alone', () => {
    const boxes = [box('trigger', 0, 0), box('left', -300, 150), box('right', 300, 150), box('after-right', 300, 300), box('beside', 510, 150)];
    const placed = makeRoom(
      [...boxes, box('new', 250, 140)],
      [
        { source: 'trigger', target: 'left' },
        { source: 'trigger', target: 'right' },
        { source: 'right', target: 'after-right' },
      ],
      'new',
    );
    expectNoOverlap(placed);
    const at = new Map(placed.map((b) => [b.id, b]));
    expect(at.get('left')?.y).toBe(150);
    // 20 pixels beside the new step is room enough.
    expect(at.get('beside')?.y).toBe(150);
    expect(at.get('right')?.y).toBe(140 + 90 + STEP_GAP);
    expect((at.get('after-right')?.y ?? 0) - (at.get('right')?.y ?? 0)).toBe(150);
  });

  it('puts two branches of one step side by side, the later output to the right, with the steps after it', () => {
    const links: Link[] = [
      { source: 'cond', target: 'first', order: 0 },
      { source: 'first', target: 'after-first' },
      { source: 'cond', target: 'new', order: 1 },
    ];
    const boxes = [box('cond', 0, 0), box('first', -40, 150), box('after-first', -40, 300), box('new', 20, 150)];
    const placed = makeRoom(boxes, links, 'new');
    expectNoOverlap(placed);
    const at = new Map(placed.map((b) => [b.id, b]));
    expect(at.get('first')).toEqual(box('first', -40, 150));
    expect(at.get('new')).toEqual(box('new', -40 + 240 + SIDE_GAP, 150));
    // Dropped on the first output instead, the other branch moves right with the steps after it.
    const other: Link[] = [
      { source: 'cond', target: 'new', order: 0 },
      { source: 'cond', target: 'first', order: 1 },
      { source: 'first', target: 'after-first' },
    ];
    const moved = new Map(makeRoom(boxes, other, 'new').map((b) => [b.id, b]));
    expect(moved.get('new')?.x).toBe(20);
    expect(moved.get('first')?.x).toBe(20 + 240 + SIDE_GAP);
    expect(moved.get('after-first')?.x).toBe(20 + 240 + SIDE_GAP);
  });

  it('ends on a flow that loops back on itself', () => {
    const loop: Link[] = [
      { source: 'a', target: 'new' },
      { source: 'new', target: 'b' },
      { source: 'b', target: 'a' },
    ];
    const placed = makeRoom([box('a', 0, 0), box('b', 0, 150), box('new', 0, 140)], loop, 'new');
    expect(placed.find((b) => b.id === 'new')?.y).toBe(150);
  });
});

describe('tidy layout', () => {
  it('lays branches out side by side in the order of their outputs, so no two branch connections cross', () => {
    // The first branch's step is listed last and starts far right, and its branch leads on further.
    const boxes = [box('trigger', 0, 0), box('cond', 500, 500, 80), box('otherwise', -400, 0), box('second', 0, 900), box('first', 800, 50)];
    const links: Link[] = [
      { source: 'trigger', target: 'cond' },
      { source: 'cond', target: 'otherwise', order: 2 },
      { source: 'cond', target: 'second', order: 1 },
      { source: 'cond', target: 'first', order: 0 },
      { source: 'first', target: 'after-first' },
    ];
    const placed = tidy([...boxes, box('after-first', 0, 0)], links);
    expectNoOverlap(placed);
    const at = new Map(placed.map((b) => [b.id, b]));
    const x = (id: string) => at.get(id)?.x ?? Number.NaN;
    expect(x('first')).toBeLessThan(x('second'));
    expect(x('second')).toBeLessThan(x('otherwise'));
    const cond = at.get('cond') as Box;
    expect(cond.y).toBeGreaterThan(at.get('trigger')?.y ?? Number.NaN);
    for (const id of ['first', 'second', 'otherwise']) expect(at.get(id)?.y).toBe(cond.y + cond.height + STEP_GAP);
    // Each wire from its handle (spread along the Condition's bottom) to its step's top centre.
    const wire = (id: string, i: number) => {
      const to = at.get(id) as Box;
      return [
        { x: cond.x + ((i + 0.5) / 3) * cond.width, y: cond.y + cond.height },
        { x: to.x + to.width / 2, y: to.y },
      ] as const;
    };
    const wires = ['first', 'second', 'otherwise'].map(wire);
    for (const [i, a] of wires.entries()) for (const b of wires.slice(i + 1)) expect(cross(a[0], a[1], b[0], b[1])).toBe(false);
  });

  it('puts a step two branches lead to below both, and steps not connected beside the flow', () => {
    const links: Link[] = [
      { source: 'cond', target: 'a', order: 0 },
      { source: 'cond', target: 'join', order: 1 },
      { source: 'a', target: 'join' },
    ];
    const placed = tidy([box('cond', 0, 0), box('join', 0, 0), box('a', 0, 0), box('lone', 0, 0)], links);
    expectNoOverlap(placed);
    const y = (id: string) => placed.find((b) => b.id === id)?.y ?? Number.NaN;
    expect(y('join')).toBeGreaterThan(y('a'));
    expect(y('lone')).toBe(0);
  });

  it('lays a saved flow with a Condition out in the order of its branches, whatever the order of its connections', () => {
    const { nodes, edges } = toEditor(
      conditionFlow({
        profileId: 'p',
        branches: [
          { id: 'vips', label: 'VIPs', test: { kind: 'inList', listId: 'l1' }, subject: 'For VIPs' },
          { id: 'new', label: 'New', test: { kind: 'inList', listId: 'l2' }, subject: 'For new ones' },
        ],
        otherwiseSubject: 'For everyone else',
      }) as never,
    );
    // (dagre, the layout library used before, put them right to left when listed in this order.)
    for (const listed of [edges, [...edges].reverse()]) {
      const tidied = tidyLayout(nodes, listed);
      const x = (id: string) => tidied.find((n) => n.id === id)?.position.x ?? Number.NaN;
      expect(x('send-vips')).toBeLessThan(x('send-new'));
      expect(x('send-new')).toBeLessThan(x('send-otherwise'));
    }
  });
});

describe('placing a step on the canvas', () => {
  const flow = () => {
    const { nodes, edges } = toEditor(
      conditionFlow({
        profileId: 'p',
        branches: [{ id: 'vips', label: 'VIPs', test: { kind: 'inList', listId: 'l1' }, subject: 'For VIPs' }],
        otherwiseSubject: 'For everyone else',
      }) as never,
    );
    return { nodes: tidyLayout(nodes, edges), edges };
  };
  const boxes = (nodes: { id: string; position: { x: number; y: number } }[]) => nodes.map((n) => box(n.id, n.position.x, n.position.y));

  it('puts a Condition dropped on a connection in the middle of it, on its first branch, covering no step', () => {
    const { nodes, edges } = flow();
    const split = nodes.find((n) => n.id === 'split');
    const cond = newEditorNode('condition', 'c1', { x: split?.position.x ?? 0, y: split?.position.y ?? 0 }, { defaultProfileId: 'p' });
    const into = edges.find((e) => e.target === 'split');
    const next = insertOnEdge(nodes, edges, into?.id ?? '', cond);
    expect(next.inserted).toBe(true);
    expect(next.edges).toContainEqual({ id: 'e-c1-b1-split', source: 'c1', target: 'split', sourceHandle: 'b1' });
    expectNoOverlap(boxes(next.nodes));
  });

  it('puts a step dropped on a branch’s output after it, in the middle of its connection, below the branching step', () => {
    const { nodes, edges } = flow();
    const split = nodes.find((n) => n.id === 'split');
    const send = newEditorNode('sendEmail', 's1', { x: split?.position.x ?? 0, y: (split?.position.y ?? 0) + 40 }, { defaultProfileId: 'p' });
    const next = insertAfter(nodes, edges, 'split', 'vips', send);
    expect(next.edges).toContainEqual({ id: 'e-split-vips-s1', source: 'split', target: 's1', sourceHandle: 'vips' });
    expect(next.edges.some((e) => e.source === 's1')).toBe(true);
    expectNoOverlap(boxes(next.nodes));
    expect(next.nodes.find((n) => n.id === 's1')?.position.y).toBeGreaterThanOrEqual((split?.position.y ?? 0) + 90 + STEP_GAP);
    // In line with the step it went before.
    expect(next.nodes.find((n) => n.id === 's1')?.position.x).toBe(nodes.find((n) => n.id === 'send-vips')?.position.x);
  });
});

describe('popups in view', () => {
  const bounds = { x: 0, y: 0, width: 800, height: 600 };
  const size = { width: 200, height: 300 };

  it('opens below and right of the point when it fits', () => {
    expect(placePopup({ x: 100, y: 100 }, size, bounds)).toEqual({ x: 100, y: 100 });
  });

  it('flips to the other side of the point at the right and bottom edges', () => {
    expect(placePopup({ x: 790, y: 590 }, size, bounds)).toEqual({ x: 590, y: 290 });
  });

  it('is pushed inside when neither side fits, and at the top and left edges', () => {
    expect(placePopup({ x: 2, y: 2 }, size, bounds)).toEqual({ x: 8, y: 8 });
    expect(placePopup({ x: 100, y: 250 }, size, { x: 0, y: 0, width: 800, height: 400 })).toEqual({ x: 100, y: 92 });
    const inside = placePopup({ x: 400, y: 300 }, { width: 100, height: 500 }, { x: 0, y: 0, width: 800, height: 400 });
    expect(inside.y).toBe(8);
  });
});
