/** Where the editor puts a new node: in view, beside the nodes already there rather than on them. */
import type { EditorNode } from '@/components/flow-editor/types';

const NODE_WIDTH = 240;
const NODE_HEIGHT = 90;

/** React Flow's screenToFlowPosition: a point on the screen, in flow coordinates. */
export type ToFlow = (point: { x: number; y: number }) => { x: number; y: number };

/** The visible part of the canvas, in flow coordinates. */
function visibleArea(canvas: HTMLElement | null, toFlow: ToFlow) {
  const rect = canvas?.getBoundingClientRect();
  if (!rect) return undefined;
  const topLeft = toFlow({ x: rect.left, y: rect.top });
  const bottomRight = toFlow({ x: rect.right, y: rect.bottom });
  return { x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y };
}

/** A new node at this position would be wholly in view. */
export function isVisible(position: { x: number; y: number }, canvas: HTMLElement | null, toFlow: ToFlow): boolean {
  const area = visibleArea(canvas, toFlow);
  if (!area) return true;
  return (
    position.x >= area.x && position.y >= area.y && position.x + NODE_WIDTH <= area.x + area.width && position.y + NODE_HEIGHT <= area.y + area.height
  );
}

/** Where a new node goes: the middle of the visible canvas, moved right until it covers no other node. */
export function freeSpot(nodes: EditorNode[], canvas: HTMLElement | null, toFlow: ToFlow): { x: number; y: number } {
  const area = visibleArea(canvas, toFlow);
  let x = Math.round(area ? area.x + area.width / 2 - NODE_WIDTH / 2 : 0);
  const y = Math.round(area ? area.y + area.height / 2 - NODE_HEIGHT / 2 : 0);
  const overlaps = (px: number) =>
    nodes.some((n) => {
      const w = n.measured?.width ?? NODE_WIDTH;
      const h = n.measured?.height ?? NODE_HEIGHT;
      return px < n.position.x + w + 20 && px + NODE_WIDTH + 20 > n.position.x && y < n.position.y + h + 20 && y + NODE_HEIGHT + 20 > n.position.y;
    });
  for (let i = 0; i < 100 && overlaps(x); i++) x += NODE_WIDTH / 2;
  return { x, y };
}
