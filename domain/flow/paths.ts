/**
 * The flow's connections as `compile` checks them: each node's outputs (one, none, or one per branch),
 * the walk from the Trigger (every node reachable, no loops), and which Send Email nodes come before a
 * Condition on every path (a send-outcome test may only look back at one of those). Pure.
 */
import type { FlowError } from './node';
import { OTHERWISE } from './nodes/condition';
import { NODE_KINDS } from './nodes';
import type { FlowEdge, FlowNode } from './schema';
import { nodeTitle } from './step-title';

/** The output a single-output node's edge leaves from. */
export const SINGLE = '';

/** Each node's next node by output: SINGLE for one-output nodes, branch ids for a Condition. */
export type Outputs = Map<string, Map<string, string>>;

/** Ties every edge to an output of its source and reports outputs with no (or several) connections. */
export function connectOutputs(nodes: FlowNode[], edges: FlowEdge[], byId: ReadonlyMap<string, FlowNode>): { errors: FlowError[]; outputs: Outputs } {
  const errors: FlowError[] = [];
  const leaving = new Map<string, FlowEdge[]>();
  for (const edge of edges) {
    if (byId.has(edge.source) && byId.has(edge.target)) leaving.set(edge.source, [...(leaving.get(edge.source) ?? []), edge]);
  }
  const outputs: Outputs = new Map();
  for (const node of nodes) {
    const outs = leaving.get(node.id) ?? [];
    const kind = NODE_KINDS[node.type];
    const mine = new Map<string, string>();
    outputs.set(node.id, mine);
    if (kind.outputs === 0) {
      if (outs.length > 0) errors.push({ nodeId: node.id, message: `${kind.label} ends the journey; remove its outgoing connection` });
    } else if (kind.outputs === 1) {
      if (outs.length === 0) errors.push({ nodeId: node.id, message: 'connect this node to the next step (or to an Exit)' });
      else if (outs.length > 1) errors.push({ nodeId: node.id, message: 'this node has more than one next step; keep one connection' });
      const first = outs[0];
      if (first) mine.set(SINGLE, first.target);
    } else {
      const branches = (kind.branches as ((data: unknown) => { id: string; label: string }[]) | undefined)?.(node.data) ?? [];
      const ids = new Set(branches.map((b) => b.id));
      for (const edge of outs) {
        if (!edge.sourceHandle || !ids.has(edge.sourceHandle)) {
          errors.push({
            nodeId: node.id,
            edgeId: edge.id,
            message: `this connection leaves ${nodeTitle(node)} from no branch; delete it and connect one of its branches`,
          });
        }
      }
      branches.forEach((branch, i) => {
        const field = branch.id === OTHERWISE ? 'data.otherwiseLabel' : `data.branches.${i}.label`;
        const mineOut = outs.filter((e) => e.sourceHandle === branch.id);
        if (mineOut.length === 0) {
          errors.push({ nodeId: node.id, field, message: `Branch '${branch.label}' is not connected; connect it to a step or to an Exit` });
        } else if (mineOut.length > 1) {
          errors.push({ nodeId: node.id, field, message: `Branch '${branch.label}' has more than one next step; keep one connection` });
        }
        const first = mineOut[0];
        if (first) mine.set(branch.id, first.target);
      });
    }
  }
  return { errors, outputs };
}

/** Walks every path from the Trigger: reports loops (at the node the loop returns to) and nodes no path reaches. */
export function walkErrors(triggerId: string, nodes: FlowNode[], outputs: Outputs): FlowError[] {
  const errors: FlowError[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const looped = new Set<string>();
  // Depth-first without recursion (a flow may have 500 nodes in a chain): a frame is a node and its next nodes still to visit.
  const stack: { id: string; rest: string[] }[] = [{ id: triggerId, rest: [...(outputs.get(triggerId)?.values() ?? [])] }];
  state.set(triggerId, 'open');
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { id: string; rest: string[] };
    const next = top.rest.shift();
    if (next === undefined) {
      state.set(top.id, 'done');
      stack.pop();
      continue;
    }
    const seen = state.get(next);
    if (seen === 'open') {
      if (!looped.has(next)) errors.push({ nodeId: next, message: 'the flow loops back to this node; journeys must end at an Exit' });
      looped.add(next);
    } else if (seen === undefined) {
      state.set(next, 'open');
      stack.push({ id: next, rest: [...(outputs.get(next)?.values() ?? [])] });
    }
  }
  for (const node of nodes) {
    if (!state.has(node.id)) errors.push({ nodeId: node.id, message: 'no path from the Trigger reaches this node' });
  }
  return errors;
}

/** Can the journey reach `target` from the Trigger without passing through `avoid`? */
function reachableAvoiding(triggerId: string, target: string, avoid: string, outputs: Outputs): boolean {
  const seen = new Set<string>([triggerId]);
  const queue = [triggerId];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (id === target) return true;
    for (const next of outputs.get(id)?.values() ?? []) {
      if (next !== avoid && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

/**
 * Each send-outcome test, and each test on opens and clicks, must name a Send Email that every path to
 * its Condition goes through; returns the errors and the Send Email nodes whose outcome some Condition tests.
 */
export function sendOutcomeChecks(
  triggerId: string,
  nodes: FlowNode[],
  byId: ReadonlyMap<string, FlowNode>,
  outputs: Outputs,
): { errors: FlowError[]; tested: Set<string> } {
  const errors: FlowError[] = [];
  const tested = new Set<string>();
  for (const node of nodes) {
    if (node.type !== 'condition') continue;
    node.data.branches.forEach((branch, i) => {
      if (branch.test.kind !== 'sendOutcome' && branch.test.kind !== 'engaged') return;
      const field = `data.branches.${i}.test.sendNodeId`;
      const send = byId.get(branch.test.sendNodeId);
      if (send?.type !== 'sendEmail') {
        errors.push({
          nodeId: node.id,
          field,
          message: `Branch '${branch.label}' tests a Send Email that is not in this flow; choose an earlier Send Email`,
        });
      } else if (reachableAvoiding(triggerId, node.id, send.id, outputs)) {
        errors.push({
          nodeId: node.id,
          field,
          message: `Branch '${branch.label}' tests ${nodeTitle(send)}, but a path reaches this Condition without it; choose a Send Email that comes before it on every path`,
        });
      } else if (branch.test.kind === 'sendOutcome') tested.add(send.id);
    });
  }
  return { errors, tested };
}
