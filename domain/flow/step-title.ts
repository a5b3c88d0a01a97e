/**
 * How a person reads a step: its own name when it has one, otherwise its type and what it does
 * (e.g. Send Email “Welcome, {{name}}”). Never the node's id: the editor, run pages and delivery logs
 * all name steps this way.
 */
import { NODE_KINDS, type NodeType } from './nodes';
import { UNIT_MS } from './nodes/delay';
import type { Step } from './plan';

const MAX_SUMMARY = 40;
const clip = (s: string) => (s.length > MAX_SUMMARY ? `${s.slice(0, MAX_SUMMARY - 1)}…` : s);

/** A node on the canvas or in a saved graph. */
export function nodeTitle(node: { type: NodeType; name?: string | undefined; data: unknown }): string {
  const kind = NODE_KINDS[node.type];
  const name = node.name?.trim();
  if (name) return `${kind.label} “${name}”`;
  if (kind.unique) return kind.label;
  // The node's own module summarises its data; data of the wrong shape (a damaged draft) gets the label alone.
  try {
    return `${kind.label} “${clip((kind.summary as (d: unknown) => string)(node.data))}”`;
  } catch {
    return kind.label;
  }
}

/** A Delay's wait as its node's summary says it (Wait 2 days; Wait 1–3 hours (random)), in the largest unit that divides it. */
function waitText(minMs: number, maxMs: number): string {
  const unit = (['days', 'hours', 'minutes'] as const).find((u) => minMs % UNIT_MS[u] === 0 && maxMs % UNIT_MS[u] === 0) ?? 'seconds';
  const [min, max] = [minMs / UNIT_MS[unit], maxMs / UNIT_MS[unit]];
  const unitText = max === 1 ? unit.replace(/s$/, '') : unit;
  return min === max ? `Wait ${max} ${unitText}` : `Wait ${min}–${max} ${unitText} (random)`;
}

/** A step of a compiled plan (run pages, delivery logs); `undefined` steps (not in the plan) show their id. */
export function stepTitle(step: Step | undefined, nodeId: string): string {
  if (!step) return nodeId;
  if (step.name) return step.name;
  switch (step.type) {
    case 'sendEmail':
      return `Send Email “${clip(step.subject)}”`;
    case 'delay':
      return `Delay “${waitText(step.minMs, step.maxMs)}”`;
    case 'condition':
      return 'Condition';
    case 'split':
      return 'A/B split';
    case 'exit':
      return 'Exit';
    case 'sendWindow':
      // The step keeps the node's days, hours and zones: the canvas's own summary.
      return `Send window “${clip(NODE_KINDS.sendWindow.summary(step))}”`;
    case 'webhook':
      return `Webhook “${clip(step.url)}”`;
    case 'waitUntil': {
      const unit = (['days', 'hours', 'minutes'] as const).find((u) => step.maxMs % UNIT_MS[u] === 0) ?? 'seconds';
      return `Wait until “${clip(NODE_KINDS.waitUntil.summary({ until: step.until, maxWait: step.maxMs / UNIT_MS[unit], unit }))}”`;
    }
    default:
      return step satisfies never;
  }
}
