/**
 * What a draft changes from a published version, in the words people read: steps added, removed and
 * edited (by their titles, never their ids), connections added and removed. Where nodes sit on the canvas
 * is not a change: moving a step changes nothing a run does.
 */
import { changedText, fieldLabel, type ValueContext, valueText } from './field-labels';
import type { FlowGraph } from './schema';
import { nodeTitle } from './step-title';

/** One field of a step, changed: its label as the form shows it, and its value before and after, in words. */
export interface FieldChange {
  /** The field's path in the node, e.g. "data.subject". */
  field: string;
  label: string;
  before: string;
  after: string;
}

export interface EditedStep {
  /** The step's title in the draft. */
  title: string;
  /** What changed, field by field, in the form's order of keys. */
  changes: FieldChange[];
}

export interface FlowDiff {
  added: string[];
  removed: string[];
  edited: EditedStep[];
  /** Connections, as "Delay “x” → Exit". */
  connected: string[];
  disconnected: string[];
}

/** The same value, whatever the order of object keys. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Values a change names whole: the days of a Send window, a Condition branch's test. */
const isWhole = (path: string) => path === 'data.days' || /^data\.branches\.\d+\.test$/.test(path);

/** Every field of a node's data by its path ("data.branches.0.label"), down to the values a change names. */
function fieldsOf(value: unknown, path: string, out = new Map<string, unknown>()): Map<string, unknown> {
  if (value === null || typeof value !== 'object' || isWhole(path)) {
    if (value !== undefined) out.set(path, value);
    return out;
  }
  for (const [key, inner] of Object.entries(value)) fieldsOf(inner, `${path}.${key}`, out);
  return out;
}

/** What changed in a node's name and data, each field labelled and its values in words. */
function changesOf(old: FlowGraph['nodes'][number], node: FlowGraph['nodes'][number], context: ValueContext): FieldChange[] {
  const before = fieldsOf(old.data, 'data');
  const after = fieldsOf(node.data, 'data');
  const [oldName, newName] = [old.name?.trim() ?? '', node.name?.trim() ?? ''];
  if (oldName !== newName) {
    before.set('name', oldName);
    after.set('name', newName);
  }
  const paths = [...new Set(['name', ...after.keys(), ...before.keys()])];
  return paths
    .filter((path) => !same(before.get(path), after.get(path)))
    .map((path) => {
      const [a, b] = [before.get(path), after.get(path)];
      const words =
        typeof a === 'string' && typeof b === 'string' && path !== 'data.profileId'
          ? changedText(a, b)
          : { before: valueText(path, a, context), after: valueText(path, b, context) };
      return { field: path, label: fieldLabel(path), ...words };
    });
}

/** "Subject: “Hello” → “Hi there”": one change, as the banner lists it. */
export const changeText = (c: FieldChange) => `${c.label}: ${c.before} → ${c.after}`;

export function diffFlows(published: FlowGraph, draft: FlowGraph, context: ValueContext = {}): FlowDiff {
  const before = new Map(published.nodes.map((n) => [n.id, n]));
  const after = new Map(draft.nodes.map((n) => [n.id, n]));
  const added = draft.nodes.filter((n) => !before.has(n.id)).map((n) => nodeTitle(n));
  const removed = published.nodes.filter((n) => !after.has(n.id)).map((n) => nodeTitle(n));
  const edited: EditedStep[] = [];
  // A step is called by its title in the draft when it is still there (a removed one, by its old title).
  const title = (graph: Map<string, FlowGraph['nodes'][number]>, id: string) => {
    const node = after.get(id) ?? graph.get(id);
    return node ? nodeTitle(node) : 'a missing step';
  };
  for (const node of draft.nodes) {
    const old = before.get(node.id);
    if (!old) continue;
    if (old.type !== node.type) {
      // Same id, another kind of step: it was replaced.
      removed.push(nodeTitle(old));
      added.push(nodeTitle(node));
      continue;
    }
    const changes = changesOf(old, node, { stepTitle: (id) => title(after, id), ...context });
    if (changes.length > 0) edited.push({ title: nodeTitle(node), changes });
  }
  const key = (e: { source: string; target: string }) => `${e.source}\u0000${e.target}`;
  const beforeEdges = new Set(published.edges.map(key));
  const afterEdges = new Set(draft.edges.map(key));
  const connected = draft.edges.filter((e) => !beforeEdges.has(key(e))).map((e) => `${title(after, e.source)} → ${title(after, e.target)}`);
  const disconnected = published.edges.filter((e) => !afterEdges.has(key(e))).map((e) => `${title(before, e.source)} → ${title(before, e.target)}`);
  return { added, removed, edited, connected, disconnected };
}

/** The draft does something the published version does not. */
export function hasChanges(diff: FlowDiff): boolean {
  return diff.added.length + diff.removed.length + diff.edited.length + diff.connected.length + diff.disconnected.length > 0;
}

/** One line, e.g. "1 step added, 2 edited, 1 connection changed": for the run page's warning. */
export function summarizeDiff(diff: FlowDiff): string {
  const parts: string[] = [];
  const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
  if (diff.added.length) parts.push(`${count(diff.added.length, 'step', 'steps')} added`);
  if (diff.removed.length) parts.push(`${count(diff.removed.length, 'step', 'steps')} removed`);
  if (diff.edited.length) parts.push(`${count(diff.edited.length, 'step', 'steps')} edited`);
  const links = diff.connected.length + diff.disconnected.length;
  if (links) parts.push(`${count(links, 'connection', 'connections')} changed`);
  return parts.join(', ');
}
