/**
 * Where steps go on the canvas, as pure geometry on boxes (top-left corner, width, height) and the
 * connections between them: making room for a new step so no step covers another, laying a whole
 * flow out top to bottom with each node's branches side by side in the order of their outputs, and
 * keeping a popup (the step picker) inside what can be seen.
 */

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A connection; `order` is the place of its output on the source (a branch's index, left to right). */
export interface Link {
  source: string;
  target: string;
  order?: number;
}

/** The space kept between a step and the next, and between steps side by side. */
export const STEP_GAP = 60;
export const SIDE_GAP = 50;

/** The two boxes cover each other, or come closer than `gap` to each other (side by side, one above the other). */
export function overlaps(a: Box, b: Box, gap = { x: 0, y: 0 }): boolean {
  return a.x < b.x + b.width + gap.x && b.x < a.x + a.width + gap.x && a.y < b.y + b.height + gap.y && b.y < a.y + a.height + gap.y;
}

/** The ids reachable from `from` by following connections (`forward`) or against them. */
function reachable(links: readonly Link[], from: string, forward: boolean): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const l of links) {
      const [here, there] = forward ? [l.source, l.target] : [l.target, l.source];
      if (here === id && !seen.has(there)) {
        seen.add(there);
        stack.push(there);
      }
    }
  }
  return seen;
}

/**
 * Makes room for the step `placedId`, already connected: it goes below the steps that lead into it (so
 * it never covers their outputs), and wherever two steps then cover each other (or come closer than
 * `gap`: wires need room above and below, less beside), the one after the other (or, unrelated, the
 * lower one) moves down with the steps after it to STEP_GAP below the other, or, two branches of one
 * node, the later branch moves right beside the earlier one, until none does. Returns every box,
 * moved where needed; steps that were not in the way stay put.
 */
export function makeRoom(boxes: readonly Box[], links: readonly Link[], placedId: string, gap = { x: 10, y: STEP_GAP / 2 }): Box[] {
  const byId = new Map(boxes.map((b) => [b.id, { ...b }]));
  const placed = byId.get(placedId);
  if (!placed) return [...byId.values()];
  for (const l of links) {
    const source = l.target === placedId ? byId.get(l.source) : undefined;
    if (source && source.id !== placedId) placed.y = Math.max(placed.y, source.y + source.height + STEP_GAP);
  }
  const after = new Map<string, Set<string>>();
  const afterOf = (id: string) => after.get(id) ?? after.set(id, reachable(links, id, true)).get(id) ?? new Set<string>();
  /** The output of `from` that leads to `id`, when one does. */
  const outputTo = (from: string, id: string) => links.find((l) => l.source === from && l.target === id)?.order ?? 0;
  /** The node both steps come right after, on different outputs (two branches of one Condition), if any. */
  const branchingParent = (a: string, b: string) =>
    links.find((l) => l.target === a && links.some((m) => m.source === l.source && m.target === b && (m.order ?? 0) !== (l.order ?? 0)))?.source;
  const moved = [placed];
  // Each round moves a step strictly down or right; the bound only stops a flow that loops on itself.
  for (let rounds = 0; moved.length > 0 && rounds < boxes.length * boxes.length + 10; rounds++) {
    const a = moved.shift() as Box;
    for (const b of byId.values()) {
      if (b === a || !overlaps(a, b, gap)) continue;
      const parent = branchingParent(a.id, b.id);
      let aStays: boolean;
      let shift: { x: number; y: number };
      if (parent !== undefined) {
        // Two branches side by side, in the order of their outputs: the later one moves right.
        aStays = outputTo(parent, a.id) < outputTo(parent, b.id);
        const [left, right] = aStays ? [a, b] : [b, a];
        shift = { x: left.x + left.width + SIDE_GAP - right.x, y: 0 };
      } else {
        const bAfterA = afterOf(a.id).has(b.id);
        aStays = bAfterA !== afterOf(b.id).has(a.id) ? bAfterA : a.y < b.y || (a.y === b.y && a.id === placedId);
        const [upper, lower] = aStays ? [a, b] : [b, a];
        shift = { x: 0, y: upper.y + upper.height + STEP_GAP - lower.y };
      }
      const [staying, going] = aStays ? [a, b] : [b, a];
      // The step that goes and those after it, but never the one that stays or what leads into it.
      const before = reachable(links, staying.id, false);
      const ids = [going.id, ...[...afterOf(going.id)].filter((id) => id !== staying.id && id !== going.id && !before.has(id))];
      for (const id of ids) {
        const box = byId.get(id);
        if (!box) continue;
        box.x += shift.x;
        box.y += shift.y;
        if (!moved.includes(box)) moved.push(box);
      }
      if (!aStays) break;
    }
  }
  return boxes.map((b) => byId.get(b.id) as Box);
}

/**
 * Lays the whole flow out top to bottom: each step one row below the lowest step that leads into it,
 * each node's next steps side by side under it in the order of its outputs (so branch connections never
 * cross), a node centred over its next steps, and steps not connected to the rest beside them.
 */
export function tidy(boxes: readonly Box[], links: readonly Link[]): Box[] {
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const ordered = [...links].filter((l) => byId.has(l.source) && byId.has(l.target));
  ordered.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const next = new Map<string, string[]>();
  for (const l of ordered) next.set(l.source, [...(next.get(l.source) ?? []), l.target]);
  const hasInput = new Set(ordered.map((l) => l.target));
  const roots = [...boxes.filter((b) => !hasInput.has(b.id)), ...boxes];

  // The tree that a walk from the roots draws, each node's children in the order of its outputs; a
  // connection back to a node on the walk (a loop) is left out of the rows.
  const children = new Map<string, string[]>();
  const forward: Link[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const finished: string[] = [];
  const walk = (id: string) => {
    state.set(id, 'open');
    for (const to of next.get(id) ?? []) {
      if (state.get(to) === 'open') continue;
      forward.push({ source: id, target: to });
      if (state.has(to)) continue;
      children.set(id, [...(children.get(id) ?? []), to]);
      walk(to);
    }
    state.set(id, 'done');
    finished.push(id);
  };
  const trees: string[] = [];
  for (const r of roots)
    if (!state.has(r.id)) {
      trees.push(r.id);
      walk(r.id);
    }

  // Rows: the longest way from a root (the walk's finishing order, reversed, puts every node after
  // the nodes that lead into it).
  const row = new Map<string, number>();
  for (const id of finished.reverse()) {
    const into = forward.filter((l) => l.target === id).map((l) => (row.get(l.source) ?? 0) + 1);
    row.set(id, Math.max(0, ...into));
  }
  const rowHeight: number[] = [];
  for (const b of boxes) rowHeight[row.get(b.id) ?? 0] = Math.max(rowHeight[row.get(b.id) ?? 0] ?? 0, b.height);
  const rowTop: number[] = [];
  rowHeight.reduce((top, h, i) => {
    rowTop[i] = top;
    return top + (h ?? 0) + STEP_GAP;
  }, 0);

  // Columns: each tree gets the width of its widest part; children side by side, parents centred.
  const span = new Map<string, number>();
  const widthOf = (id: string): number => {
    const kids = children.get(id) ?? [];
    const kidsWidth = kids.reduce((sum, k, i) => sum + widthOf(k) + (i > 0 ? SIDE_GAP : 0), 0);
    const w = Math.max(byId.get(id)?.width ?? 0, kidsWidth);
    span.set(id, w);
    return w;
  };
  const centre = new Map<string, number>();
  const place = (id: string, left: number) => {
    const w = span.get(id) ?? 0;
    const kids = children.get(id) ?? [];
    const kidsWidth = kids.reduce((sum, k, i) => sum + (span.get(k) ?? 0) + (i > 0 ? SIDE_GAP : 0), 0);
    let x = left + (w - kidsWidth) / 2;
    for (const k of kids) {
      place(k, x);
      x += (span.get(k) ?? 0) + SIDE_GAP;
    }
    centre.set(id, left + w / 2);
  };
  let left = 0;
  for (const t of trees) {
    const width = widthOf(t);
    place(t, left);
    left += width + SIDE_GAP;
  }
  return boxes.map((b) => ({
    ...b,
    x: Math.round((centre.get(b.id) ?? 0) - b.width / 2),
    y: Math.round(rowTop[row.get(b.id) ?? 0] ?? 0),
  }));
}

/**
 * Where a popup of this size opens at `anchor` (its top-left corner there, by choice) so that it stays
 * inside `bounds`: flipped to the other side of the anchor when it would cross an edge, and pushed in
 * (keeping `margin` from the edges) when neither side fits.
 */
export function placePopup(
  anchor: { x: number; y: number },
  size: { width: number; height: number },
  bounds: { x: number; y: number; width: number; height: number },
  margin = 8,
): { x: number; y: number } {
  const along = (at: number, length: number, start: number, extent: number) => {
    const end = start + extent - margin;
    if (at + length <= end) return Math.max(at, start + margin);
    if (at - length >= start + margin) return at - length;
    return Math.max(start + margin, end - length);
  };
  return { x: along(anchor.x, size.width, bounds.x, bounds.width), y: along(anchor.y, size.height, bounds.y, bounds.height) };
}
