/**
 * What a draft changes from a published version, in the words people read: steps added, removed and
 * edited (by their titles, never their ids), connections added and removed. Where nodes sit on the canvas
 * is not a change: moving a step changes nothing a run does.
 */
import type { FlowGraph } from './schema';
import { nodeTitle } from './step-title';

export interface EditedStep {
  /** The step's title in the draft. */
  title: string;
  /** What changed: "name", or the data fields that differ (e.g. "subject", "min"). */
  fields: string[];
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

/** The keys of two data objects whose values differ, in a stable order. */
function changedFields(a: unknown, b: unknown): string[] {
  const ra = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
  const rb = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return keys.filter((k) => !same(ra[k], rb[k]));
}

export function diffFlows(published: FlowGraph, draft: FlowGraph): FlowDiff {
  const before = new Map(published.nodes.map((n) => [n.id, n]));
  const after = new Map(draft.nodes.map((n) => [n.id, n]));
  const added = draft.nodes.filter((n) => !before.has(n.id)).map((n) => nodeTitle(n));
  const removed = published.nodes.filter((n) => !after.has(n.id)).map((n) => nodeTitle(n));
  const edited: EditedStep[] = [];
  for (const node of draft.nodes) {
    const old = before.get(node.id);
    if (!old) continue;
    if (old.type !== node.type) {
      // Same id, another kind of step: it was replaced.
      removed.push(nodeTitle(old));
      added.push(nodeTitle(node));
      continue;
    }
    const fields = [...((old.name?.trim() ?? '') !== (node.name?.trim() ?? '') ? ['name'] : []), ...changedFields(old.data, node.data)];
    if (fields.length > 0) edited.push({ title: nodeTitle(node), fields });
  }
  // A step is called by its title in the draft when it is still there (a removed one, by its old title).
  const title = (graph: Map<string, FlowGraph['nodes'][number]>, id: string) => {
    const node = after.get(id) ?? graph.get(id);
    return node ? nodeTitle(node) : 'a missing step';
  };
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
