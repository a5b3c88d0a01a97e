import type { z } from 'zod';
import type { FlowError } from './node';
import { printsVariable } from './nodes/send-email';
import { kindOf, NODE_TYPES, type NodeOf, type NodeType } from './nodes';
import { connectOutputs, SINGLE, sendOutcomeChecks, walkErrors } from './paths';
import { PLAN_SCHEMA_VERSION, type Plan, type Step } from './plan';
import { FlowGraph, type FlowNode } from './schema';

export type { FlowError };

/** Warnings (severity 'warning') never stop a flow from compiling; they come with either outcome. */
export type CompileResult =
  | { ok: true; plan: Plan; graph: FlowGraph; warnings: FlowError[] }
  | { ok: false; errors: FlowError[]; warnings?: FlowError[] };

function idAt(list: unknown, index: unknown): string | undefined {
  if (!Array.isArray(list) || typeof index !== 'number') return undefined;
  const item: unknown = list[index];
  if (item && typeof item === 'object' && 'id' in item && typeof item.id === 'string') return item.id;
  return undefined;
}

/** Turns zod issues into errors that point at a node or edge id rather than an array index. */
function schemaErrors(raw: unknown, issues: z.core.$ZodIssue[]): FlowError[] {
  const rawNodes = raw && typeof raw === 'object' && 'nodes' in raw ? raw.nodes : undefined;
  const rawEdges = raw && typeof raw === 'object' && 'edges' in raw ? raw.edges : undefined;
  return issues.map((issue) => {
    const [head, index, ...rest] = issue.path;
    const field = rest.map(String).join('.') || undefined;
    if (head === 'nodes' && typeof index === 'number') {
      const id = idAt(rawNodes, index);
      const type = Array.isArray(rawNodes) ? (rawNodes[index] as { type?: unknown } | undefined)?.type : undefined;
      if ((field === undefined || field === 'type') && !NODE_TYPES.includes(type as FlowNode['type'])) {
        return {
          ...(id ? { nodeId: id } : {}),
          field: 'type',
          message: `unknown node type ${JSON.stringify(type)}; use one of ${NODE_TYPES.join(', ')}`,
        };
      }
      return { ...(id ? { nodeId: id } : { field: `nodes[${index}]` }), ...(field ? { field } : {}), message: issue.message };
    }
    if (head === 'edges' && typeof index === 'number') {
      const id = idAt(rawEdges, index);
      return { ...(id ? { edgeId: id } : {}), field: field ?? `edges[${index}]`, message: issue.message };
    }
    return { field: issue.path.map(String).join('.') || 'flow', message: issue.message };
  });
}

/**
 * Validates a graph drawn in the editor and compiles it into the plan a journey runs.
 * Returns every problem found, each tied to a node id where there is one.
 */
export function compile(raw: unknown, meta: { flowId: string; version: number }): CompileResult {
  const parsed = FlowGraph.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: schemaErrors(raw, parsed.error.issues) };
  const graph = parsed.data;
  const errors: FlowError[] = [];

  const byId = new Map<string, FlowNode>();
  for (const node of graph.nodes) {
    if (byId.has(node.id)) errors.push({ nodeId: node.id, message: `two nodes share the id "${node.id}"` });
    byId.set(node.id, node);
  }

  const triggers = graph.nodes.filter((n) => n.type === 'trigger');
  if (triggers.length === 0) errors.push({ message: 'the flow has no Trigger; add one so contacts can enter' });
  for (const extra of triggers.slice(1)) {
    errors.push({ nodeId: extra.id, message: 'a flow has exactly one Trigger; remove this one' });
  }

  for (const edge of graph.edges) {
    const source = byId.get(edge.source);
    if (!source) {
      errors.push({ edgeId: edge.id, message: `edge "${edge.id}" starts at missing node "${edge.source}"` });
    }
    if (!byId.has(edge.target)) {
      errors.push({
        ...(source ? { nodeId: source.id } : {}),
        edgeId: edge.id,
        message: `edge "${edge.id}" points to missing node "${edge.target}"; reconnect or delete it`,
      });
    }
  }

  const connected = connectOutputs(graph.nodes, graph.edges, byId);
  errors.push(...connected.errors);
  const { outputs } = connected;
  for (const node of graph.nodes) errors.push(...checkNode(node));
  errors.push(...journeyOnlyErrors(graph));

  const trigger = triggers[0];
  let tested = new Set<string>();
  if (errors.length === 0 && trigger) {
    // Walk every path from the trigger: every node must be reachable, and no path may loop.
    errors.push(...walkErrors(trigger.id, graph.nodes, outputs));
    if (errors.length === 0) {
      const sends = sendOutcomeChecks(trigger.id, graph.nodes, byId, outputs);
      errors.push(...sends.errors);
      tested = sends.tested;
    }
  }
  const warnings = campaignWarnings(graph);
  if (errors.length > 0 || !trigger) return { ok: false, errors, warnings };

  const steps: Record<string, Step> = {};
  for (const node of graph.nodes) {
    const mine = outputs.get(node.id) ?? new Map<string, string>();
    let step = stepOf(node, mine.get(SINGLE) ?? '', Object.fromEntries(mine));
    // A Condition looks at this send's outcome: a failed or skipped send goes on, to reach it.
    if (step?.type === 'sendEmail' && tested.has(node.id)) step = { ...step, continueOnFailure: true };
    // The step's name travels with it, so run pages and delivery logs can show it instead of the id.
    if (step) steps[node.id] = node.name?.trim() ? { ...step, name: node.name.trim() } : step;
  }
  const entry = outputs.get(trigger.id)?.get(SINGLE) ?? '';
  // Goals are for journeys (one contact each): any Trigger but an audience's run.
  const journeys = trigger.type === 'trigger' && trigger.data.source !== 'audience';
  const goal = journeys ? trigger.data.goal : undefined;
  const goalSegment = journeys ? trigger.data.goalSegmentId : undefined;
  const plan: Plan = {
    schemaVersion: PLAN_SCHEMA_VERSION,
    flowId: meta.flowId,
    version: meta.version,
    entry,
    steps,
    ...(goal ? { goal } : {}),
    ...(goalSegment ? { goalSegment } : {}),
  };
  const tooBig = planSizeError(plan);
  return tooBig ? { ok: false, errors: [tooBig], warnings } : { ok: true, graph, plan, warnings };
}

/**
 * A campaign (a run for an audience) is bulk mail: each message should say where to unsubscribe.
 * Without `{{ unsubscribe_url }}` the send path appends the link at the end; the warning says so.
 */
function campaignWarnings(graph: FlowGraph): FlowError[] {
  const trigger = graph.nodes.find((n) => n.type === 'trigger');
  if (trigger?.type !== 'trigger' || trigger.data.source !== 'audience') return [];
  const warnings: FlowError[] = [];
  for (const node of graph.nodes) {
    if (node.type !== 'sendEmail') continue;
    const { format = 'text', html = '', text } = node.data;
    const body = format === 'text' ? text : html;
    if (printsVariable(body, 'unsubscribe_url')) continue;
    warnings.push({
      nodeId: node.id,
      field: format === 'text' ? 'data.text' : 'data.html',
      severity: 'warning',
      message:
        'this campaign email has no {{ unsubscribe_url }}: the link will be added at the very end; put it where readers look for it, e.g. in the footer',
    });
  }
  return warnings;
}

/**
 * API events reach journeys and campaign recipients waiting at a Wait until, but a campaign has no
 * entering event (no `sameAsEntry` to compare with) and no goal (its recipients end at its steps).
 */
function journeyOnlyErrors(graph: FlowGraph): FlowError[] {
  const trigger = graph.nodes.find((n) => n.type === 'trigger');
  if (trigger?.type !== 'trigger' || trigger.data.source !== 'audience') return [];
  const errors: FlowError[] = [];
  for (const n of graph.nodes) {
    if (n.type !== 'waitUntil' || n.data.until.kind !== 'event') continue;
    const i = n.data.until.match.where.findIndex((f) => f.op === 'sameAsEntry');
    if (i < 0) continue;
    errors.push({
      nodeId: n.id,
      field: `data.until.match.where.${i}.op`,
      message: 'a campaign to an audience has no entering event to compare with: use equals or exists, or change the Trigger to an API event',
    });
  }
  if (trigger.data.goalSegmentId) {
    errors.push({
      nodeId: trigger.id,
      field: 'data.goalSegmentId',
      message: 'a goal works in journeys only: a campaign to an audience moves its recipients together; remove the goal or change the Trigger',
    });
  }
  if (trigger.data.goal) {
    errors.push({
      nodeId: trigger.id,
      field: 'data.goal',
      message:
        'a goal works in journeys only (a Trigger on an API event): a campaign to an audience gets no events; remove the goal or change the Trigger',
    });
  }
  return errors;
}

/**
 * A plan travels whole in workflow inputs (and again at each continue-as-new), and Temporal refuses
 * payloads over 2 MB: a plan must stay well under that.
 */
export const MAX_PLAN_BYTES = 512 * 1024;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one 4-byte character: count it at its first half, skip the second.
    const surrogate = c >= 0xd800 && c <= 0xdbff;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : surrogate ? 4 : 3;
    if (surrogate) i++;
  }
  return n;
}

function planSizeError(plan: Plan): FlowError | undefined {
  const bytes = utf8Length(JSON.stringify(plan));
  if (bytes <= MAX_PLAN_BYTES) return undefined;
  const sizes = Object.entries(plan.steps).map(([id, step]) => [id, utf8Length(JSON.stringify(step))] as const);
  const [largest, largestBytes] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
  const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;
  return {
    nodeId: largest,
    field: 'data.text',
    message: `the flow's messages add up to ${kb(bytes)}, above the ${kb(MAX_PLAN_BYTES)} a flow may carry; this node is the largest (${kb(largestBytes)}): shorten its body`,
  };
}

/** The node's own module checks it (correlating the node with its module's types). */
function checkNode<T extends NodeType>(node: NodeOf<T>): FlowError[] {
  return kindOf<T>(node.type as T).check(node as never);
}

function stepOf<T extends NodeType>(node: NodeOf<T>, next: string, nextByBranch: Record<string, string>): Step | undefined {
  return kindOf<T>(node.type as T).step(node.data as never, next, nextByBranch);
}
