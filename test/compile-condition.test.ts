import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import type { ConditionTest } from '../domain/flow/nodes/condition';
import { conditionFlow } from './condition-flows';

const meta = { flowId: 'f', version: 1 };
const vip: ConditionTest = { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } };
// biome-ignore lint/suspicious/noExplicitAny: these tests break graphs on purpose
type Loose = { schemaVersion: number; nodes: any[]; edges: any[] };
const flow = () =>
  structuredClone(
    conditionFlow({
      profileId: 'sandbox',
      first: 'Welcome',
      branches: [
        { id: 'vips', label: 'VIPs', test: vip, subject: 'For VIPs' },
        { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' } },
      ],
      otherwiseSubject: 'For everyone else',
    }),
  ) as Loose;
const errorsOf = (graph: unknown) => {
  const result = compile(graph, meta);
  if (result.ok) throw new Error('expected the graph to be rejected');
  return result.errors;
};

describe('compile: Condition', () => {
  it('compiles each branch, in order, to the node its edge leads to, and Otherwise to its own', () => {
    const result = compile(flow(), meta);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.steps.split).toEqual({
      type: 'condition',
      branches: [
        { id: 'vips', label: 'VIPs', test: vip, next: 'send-vips' },
        { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' }, next: 'exit-bounced' },
      ],
      otherwise: 'send-otherwise',
    });
    // The tested send goes on after a failure (to reach the Condition); the others end the journey as before.
    expect(result.plan.steps.first).toMatchObject({ type: 'sendEmail', continueOnFailure: true, next: 'split' });
    expect(result.plan.steps['send-vips']).not.toHaveProperty('continueOnFailure');
  });

  it('names the branch that is not connected', () => {
    const g = flow();
    g.edges = g.edges.filter((e) => e.id !== 'e-split-vips');
    g.nodes = g.nodes.filter((n) => n.id !== 'send-vips' && n.id !== 'exit-vips');
    g.edges = g.edges.filter((e) => e.source !== 'send-vips');
    expect(errorsOf(g)).toEqual([
      { nodeId: 'split', field: 'data.branches.0.label', message: "Branch 'VIPs' is not connected; connect it to a step or to an Exit" },
    ]);
  });

  it('refuses a connection that leaves from no branch, and an unconnected Otherwise', () => {
    const g = flow();
    const otherwise = g.edges.find((e) => e.id === 'e-split-otherwise');
    otherwise.sourceHandle = 'nobody';
    const errors = errorsOf(g);
    expect(errors).toContainEqual(
      expect.objectContaining({ nodeId: 'split', edgeId: 'e-split-otherwise', message: expect.stringMatching(/from no branch/) }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        nodeId: 'split',
        field: 'data.otherwiseLabel',
        message: "Branch 'Otherwise' is not connected; connect it to a step or to an Exit",
      }),
    );
  });

  it('refuses a loop through a branch and a node no branch reaches', () => {
    const g = flow();
    g.edges.find((e) => e.id === 'e-send-vips').target = 'first';
    const errors = errorsOf(g);
    expect(errors).toContainEqual(expect.objectContaining({ nodeId: 'first', message: expect.stringMatching(/loops back/) }));
    expect(errors).toContainEqual(expect.objectContaining({ nodeId: 'exit-vips', message: expect.stringMatching(/no path/) }));
  });

  it('refuses a send-outcome test on a Send that does not come before the Condition on every path', () => {
    const g = flow();
    g.nodes.find((n) => n.id === 'split').data.branches[1].test.sendNodeId = 'send-vips';
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({
        nodeId: 'split',
        field: 'data.branches.1.test.sendNodeId',
        // The step as the canvas names it, never its id ("send-vips").
        message: expect.stringMatching(/Branch 'Bounced' tests Send Email “For VIPs”, but a path reaches this Condition without it/),
      }),
    );
    g.nodes.find((n) => n.id === 'split').data.branches[1].test.sendNodeId = 'trigger';
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ field: 'data.branches.1.test.sendNodeId', message: expect.stringMatching(/not in this flow/) }),
    );
  });

  it('ties bad tests and labels to their field', () => {
    const g = flow();
    const data = g.nodes.find((n) => n.id === 'split').data;
    data.branches[0].label = ' ';
    data.branches[0].test.filter.rules[0] = { field: 'plan', op: 'gt', value: 'x' };
    data.branches[1].id = 'otherwise';
    const errors = errorsOf(g);
    expect(errors).toContainEqual(
      expect.objectContaining({ nodeId: 'split', field: 'data.branches.0.label', message: 'name this branch, e.g. VIPs' }),
    );
    expect(errors).toContainEqual(expect.objectContaining({ nodeId: 'split', field: 'data.branches.0.test.filter.rules.0.value' }));
    expect(errors).toContainEqual(
      expect.objectContaining({ nodeId: 'split', field: 'data.branches.1.id', message: expect.stringMatching(/default branch/) }),
    );
  });

  it('refuses two branches with one name, and a Condition with no branch besides Otherwise', () => {
    const g = flow();
    const data = g.nodes.find((n) => n.id === 'split').data;
    data.branches[1].label = 'vips';
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'split', field: 'data.branches.1.label', message: expect.stringMatching(/two branches/) }),
    );
    data.branches = [];
    expect(errorsOf(g)).toContainEqual(
      expect.objectContaining({ nodeId: 'split', field: 'data.branches', message: expect.stringMatching(/at least one branch/) }),
    );
  });
});

describe('compile: a Condition on opens and clicks', () => {
  const clicked = (sendNodeId: string, within: unknown = 2): ConditionTest =>
    ({ kind: 'engaged', sendNodeId, action: 'clicked', within, unit: 'days' }) as ConditionTest;
  const engagedFlow = (test: ConditionTest) =>
    structuredClone(
      conditionFlow({ profileId: 'sandbox', first: 'Sale', branches: [{ id: 'clicked', label: 'Clicked', test, subject: 'Follow-up' }] }),
    ) as Loose;

  it('compiles a test on an earlier Send Email, which then does not go on after a failure', () => {
    const result = compile(engagedFlow(clicked('first')), meta);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.steps.split).toMatchObject({ branches: [{ id: 'clicked', test: clicked('first'), next: 'send-clicked' }] });
    expect(result.plan.steps.first).not.toHaveProperty('continueOnFailure');
  });

  it('refuses a Send Email that is not in the flow or not before the Condition, and a time limit that is not a whole number', () => {
    expect(errorsOf(engagedFlow(clicked('nowhere')))).toContainEqual(
      expect.objectContaining({ nodeId: 'split', field: 'data.branches.0.test.sendNodeId', message: expect.stringMatching(/not in this flow/) }),
    );
    expect(errorsOf(engagedFlow(clicked('send-clicked')))).toContainEqual(
      expect.objectContaining({
        nodeId: 'split',
        field: 'data.branches.0.test.sendNodeId',
        message: expect.stringMatching(/comes before it on every path/),
      }),
    );
    expect(errorsOf(engagedFlow(clicked('first', 1.5)))).toContainEqual(
      expect.objectContaining({ message: 'within must be a whole number, e.g. 3' }),
    );
  });
});
