import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { drawDelayMs, keyedRandom } from '../domain/flow/draw';
import { sampleFlow } from '../domain/flow/sample';

const meta = { flowId: 'f', version: 1 };
// biome-ignore lint/suspicious/noExplicitAny: these tests break graphs on purpose, field by field
const base = () => structuredClone(sampleFlow('sandbox')) as { schemaVersion: number; nodes: any[]; edges: any[] };
const errorsOf = (graph: unknown) => {
  const result = compile(graph, meta);
  if (result.ok) throw new Error('expected the graph to be rejected');
  return result.errors;
};

describe('compile', () => {
  it('compiles the sample flow into a plan that starts after the trigger', () => {
    const result = compile(sampleFlow('sandbox'), meta);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.entry).toBe('wait');
    expect(result.plan.steps.wait).toEqual({ type: 'delay', minMs: 1000, maxMs: 3000, next: 'welcome' });
    expect(result.plan.steps.welcome).toMatchObject({ type: 'sendEmail', profileId: 'sandbox', next: 'done' });
    expect(result.plan.steps.done).toEqual({ type: 'exit' });
    expect(result.plan.schemaVersion).toBe(1);
  });

  it('rejects a flow with no trigger', () => {
    const g = base();
    g.nodes = g.nodes.filter((n) => n.type !== 'trigger');
    g.edges = g.edges.filter((e) => e.source !== 'trigger');
    expect(errorsOf(g)).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/no Trigger/) }));
  });

  it('rejects a second trigger, naming it', () => {
    const g = base();
    g.nodes.push({ id: 'trigger2', type: 'trigger', position: { x: 1, y: 1 }, data: { source: 'event' } });
    g.edges.push({ id: 'e-t2', source: 'trigger2', target: 'wait' });
    expect(errorsOf(g)).toContainEqual(expect.objectContaining({ nodeId: 'trigger2', message: expect.stringMatching(/exactly one Trigger/) }));
  });

  it('rejects a dangling edge, naming its node and edge', () => {
    const g = base();
    g.edges[2] = { id: 'e-welcome-nowhere', source: 'welcome', target: 'nowhere' };
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'welcome', edgeId: 'e-welcome-nowhere', message: expect.stringMatching(/missing node "nowhere"/) }),
    );
  });

  it('rejects a negative delay at the node and field', () => {
    const g = base();
    g.nodes[1].data = { mode: 'fixed', amount: -5, unit: 'seconds' };
    expect(errorsOf(g)).toContainEqual(expect.objectContaining({ nodeId: 'wait', field: 'data.amount', message: expect.stringMatching(/negative/) }));
  });

  it('rejects a random delay whose min is above its max', () => {
    const g = base();
    g.nodes[1].data = { mode: 'random', min: 5, max: 2, unit: 'minutes' };
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'wait', field: 'data.min', message: expect.stringMatching(/more than Max/) }),
    );
  });

  it('rejects an unknown node type, naming the node and the types it knows', () => {
    const g = base();
    g.nodes.push({ id: 'mystery', type: 'teleport', position: { x: 0, y: 0 }, data: {} });
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'mystery', field: 'type', message: expect.stringMatching(/unknown node type "teleport".*sendEmail/) }),
    );
  });

  it('rejects unreachable nodes and loops', () => {
    const g = base();
    g.nodes.push({ id: 'island', type: 'exit', position: { x: 0, y: 0 }, data: {} });
    expect(errorsOf(g)).toContainEqual(expect.objectContaining({ nodeId: 'island', message: expect.stringMatching(/no path/) }));
    const loop = base();
    loop.edges[2] = { id: 'back', source: 'welcome', target: 'wait' };
    expect(errorsOf(loop)).toContainEqual(expect.objectContaining({ nodeId: 'wait', message: expect.stringMatching(/loops/) }));
  });

  it('rejects header injection in a subject', () => {
    const g = base();
    g.nodes[2].data.subject = 'x\r\nBcc: a@evil.test';
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'welcome', field: 'data.subject', message: expect.stringMatching(/line breaks/) }),
    );
  });

  it('rejects a wrong schemaVersion and non-object input without throwing', () => {
    expect(errorsOf({ ...base(), schemaVersion: 2 })).toContainEqual(expect.objectContaining({ field: 'schemaVersion' }));
    expect(errorsOf('not a graph').length).toBeGreaterThan(0);
    expect(errorsOf(null).length).toBeGreaterThan(0);
  });

  it('rejects a flow too large to travel in a workflow input, naming its largest Send node', () => {
    const g = base();
    const big = 'x'.repeat(199_000);
    // Three Send nodes of about 200,000 characters each: near 600 KB, above the 512 KB a plan may carry.
    g.nodes = g.nodes.filter((n) => n.id !== 'welcome');
    for (const [i, id] of ['a', 'b', 'c'].entries()) {
      g.nodes.push({
        id,
        type: 'sendEmail',
        position: { x: 0, y: i },
        data: { profileId: 'sandbox', subject: 'Hi', text: id === 'b' ? `${big}, and more` : big },
      });
    }
    g.edges = [
      { id: 'e1', source: 'trigger', target: 'wait' },
      { id: 'e2', source: 'wait', target: 'a' },
      { id: 'e3', source: 'a', target: 'b' },
      { id: 'e4', source: 'b', target: 'c' },
      { id: 'e5', source: 'c', target: 'done' },
    ];
    expect(errorsOf(g)).toEqual([
      expect.objectContaining({ nodeId: 'b', field: 'data.text', message: expect.stringMatching(/above the 512 KB a flow may carry/) }),
    ]);
    g.nodes = g.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, text: 'short' } } : n));
    expect(compile(g, meta).ok).toBe(true);
  });
});

describe('keyedRandom', () => {
  it('gives the same number for the same seed and key, and spreads over [0, 1)', () => {
    expect(keyedRandom(42, 'ct_1')).toBe(keyedRandom(42, 'ct_1'));
    expect(keyedRandom(42, 'ct_1')).not.toBe(keyedRandom(43, 'ct_1'));
    const xs = Array.from({ length: 10_000 }, (_, i) => keyedRandom(7, `ct_${i}`));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Each tenth of [0, 1) gets roughly its share.
    for (let d = 0; d < 10; d++) expect(xs.filter((x) => x >= d / 10 && x < (d + 1) / 10).length).toBeGreaterThan(800);
  });
});

describe('drawDelayMs', () => {
  it('stays within inclusive bounds and reaches both ends', () => {
    expect(drawDelayMs(1000, 3000, () => 0)).toBe(1000);
    expect(drawDelayMs(1000, 3000, () => 0.999999999)).toBe(3000);
    expect(drawDelayMs(1000, 3000, () => 0.5)).toBe(2000);
    expect(drawDelayMs(7, 7, () => 0.3)).toBe(7);
  });

  it('refuses min above max', () => {
    expect(() => drawDelayMs(5, 4, () => 0)).toThrow(RangeError);
  });
});
