/**
 * Property tests of `compile` (fast-check): it never throws, whatever it is given, and every graph it
 * accepts gives a plan whose steps are all reachable from the entry and whose every next (each
 * branch's included) is a step of the plan.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { NODE_TYPES } from '../domain/flow/nodes';
import { nextsOf, type Plan } from '../domain/flow/plan';

const meta = { flowId: 'f', version: 1 };
const at = { x: 0, y: 0 };

function reachableSteps(plan: Plan): Set<string> {
  const seen = new Set<string>([plan.entry]);
  const queue = [plan.entry];
  while (queue.length > 0) {
    const step = plan.steps[queue.shift() as string];
    for (const next of step ? nextsOf(step) : []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

function expectSoundPlan(plan: Plan) {
  expect(plan.steps[plan.entry]).toBeDefined();
  for (const step of Object.values(plan.steps)) for (const next of nextsOf(step)) expect(plan.steps[next]).toBeDefined();
  expect([...reachableSteps(plan)].sort()).toEqual(Object.keys(plan.steps).sort());
}

/** A node of any known type, with data that may or may not be valid. */
const anyNode = (id: string) =>
  fc.record({
    id: fc.oneof(fc.constant(id), fc.string()),
    type: fc.oneof(fc.constantFrom(...NODE_TYPES), fc.string()),
    position: fc.oneof(fc.constant(at), fc.anything()),
    data: fc.oneof(
      fc.anything(),
      fc.record({ mode: fc.constantFrom('fixed', 'random'), amount: fc.double(), min: fc.double(), max: fc.double(), unit: fc.string() }),
      fc.record({ branches: fc.array(fc.record({ id: fc.string(), label: fc.string(), test: fc.anything() }), { maxLength: 3 }) }),
      fc.record({
        branches: fc.array(fc.record({ id: fc.constantFrom('b0', 'b1', 'x'), label: fc.string(), percent: fc.anything() }), { maxLength: 6 }),
      }),
    ),
  });

const looseGraph = fc.integer({ min: 0, max: 8 }).chain((n) => {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const id = ids.length > 0 ? fc.oneof(fc.constantFrom(...ids), fc.string()) : fc.string();
  return fc.record({
    schemaVersion: fc.oneof(fc.constant(1), fc.anything()),
    nodes: fc.tuple(...ids.map(anyNode)),
    edges: fc.array(
      fc.record({
        id: fc.string(),
        source: id,
        target: id,
        sourceHandle: fc.option(fc.constantFrom('b0', 'b1', 'otherwise', 'x'), { nil: undefined }),
      }),
      { maxLength: 12 },
    ),
  });
});

type Kind = 'delay' | 'sendEmail' | 'condition' | 'split' | 'exit';
const data = (kind: Kind, branches: number) => {
  switch (kind) {
    case 'delay':
      return { mode: 'random', min: 1, max: 2, unit: 'minutes' };
    case 'sendEmail':
      return { profileId: 'p', subject: 'Hi', text: 'Hello' };
    case 'condition':
      return {
        branches: Array.from({ length: branches }, (_, i) =>
          i % 2 === 0
            ? { id: `b${i}`, label: `Branch ${i}`, test: { kind: 'attributes', filter: { match: 'any', rules: [{ field: 'plan', op: 'exists' }] } } }
            : { id: `b${i}`, label: `Branch ${i}`, test: { kind: 'inList', listId: 'l1' } },
        ),
      };
    case 'split': {
      // Two or three branches whose shares add up to 100.
      const count = Math.max(2, branches);
      return {
        branches: Array.from({ length: count }, (_, i) => ({ id: `b${i}`, label: `Variant ${i}`, percent: i === 0 ? 100 - 30 * (count - 1) : 30 })),
      };
    }
    case 'exit':
      return {};
  }
};

/**
 * An acyclic graph by construction: nodes in order, each output pointing at a later node, the last
 * node an Exit; the nodes no path reaches are then dropped, so every node left is reachable.
 */
const validGraph = fc
  .array(
    fc.record({
      kind: fc.constantFrom<Kind>('delay', 'sendEmail', 'condition', 'split', 'exit'),
      branches: fc.integer({ min: 1, max: 3 }),
      picks: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    }),
    {
      minLength: 0,
      maxLength: 12,
    },
  )
  .map((specs) => {
    const all = [{ kind: 'trigger' as const, branches: 0, picks: [0] }, ...specs, { kind: 'exit' as const, branches: 0, picks: [] }];
    const n = all.length;
    const outs = all.map((spec, i) => {
      const handles =
        spec.kind === 'exit'
          ? []
          : spec.kind === 'condition'
            ? [...Array.from({ length: spec.branches }, (_, b) => `b${b}`), 'otherwise']
            : spec.kind === 'split'
              ? Array.from({ length: Math.max(2, spec.branches) }, (_, b) => `b${b}`)
              : [undefined];
      return handles.map((handle, h) => ({ handle, target: i + 1 + ((spec.picks[h] ?? 0) % (n - i - 1)) }));
    });
    const reached = new Set([0]);
    for (let i = 0; i < n; i++) if (reached.has(i)) for (const o of outs[i] ?? []) reached.add(o.target);
    const nodes = all.flatMap((spec, i) =>
      reached.has(i)
        ? [{ id: `n${i}`, type: spec.kind, position: at, data: spec.kind === 'trigger' ? { source: 'audience' } : data(spec.kind, spec.branches) }]
        : [],
    );
    const edges = outs.flatMap((list, i) =>
      reached.has(i)
        ? list.map((o, h) => ({ id: `e${i}-${h}`, source: `n${i}`, target: `n${o.target}`, ...(o.handle ? { sourceHandle: o.handle } : {}) }))
        : [],
    );
    return { schemaVersion: 1, nodes, edges };
  });

describe('compile (properties)', () => {
  it('never throws on arbitrary input: it returns errors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), looseGraph), (raw) => {
        const result = compile(raw, meta);
        if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
        else expectSoundPlan(result.plan);
      }),
      { numRuns: 2000 },
    );
  });

  it('compiles every valid generated graph into a plan of reachable steps whose every branch leads to a step', () => {
    fc.assert(
      fc.property(validGraph, (graph) => {
        const result = compile(graph, meta);
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
        expectSoundPlan(result.plan);
        // One step per node but the Trigger; each Condition and A/B split keeps every branch, each to the node its edge names.
        expect(Object.keys(result.plan.steps).length).toBe(graph.nodes.length - 1);
        for (const node of graph.nodes) {
          if (node.type !== 'condition' && node.type !== 'split') continue;
          const step = result.plan.steps[node.id];
          if (step?.type !== node.type) throw new Error(`expected a ${node.type} step`);
          for (const b of step.branches) expect(graph.edges.find((e) => e.source === node.id && e.sourceHandle === b.id)?.target).toBe(b.next);
          if (step.type === 'condition') {
            expect(graph.edges.find((e) => e.source === node.id && e.sourceHandle === 'otherwise')?.target).toBe(step.otherwise);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every valid generated graph once an edge points back to an earlier node', () => {
    fc.assert(
      fc.property(
        validGraph.filter((g) => g.edges.length > 1),
        fc.nat(),
        (graph, pick) => {
          const edge = graph.edges[1 + (pick % (graph.edges.length - 1))] as { source: string; target: string };
          // The edge now leads back to its own (reachable) source: a loop.
          const looped = { ...graph, edges: graph.edges.map((e) => (e === edge ? { ...e, target: e.source } : e)) };
          const result = compile(looped, meta);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.errors.some((e) => /loops back/.test(e.message))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
