/** The editor's React Flow nodes: one typed node per flow node type, with the schema's data. */
import type { Edge, Node } from '@xyflow/react';
import type { z } from 'zod';
import type { DelayNode } from '@domain/flow/nodes/delay';
import type { ExitNode } from '@domain/flow/nodes/exit';
import type { FlowGraph, FlowNode } from '@domain/flow/schema';
import type { SendEmailNode } from '@domain/flow/nodes/send-email';
import type { TriggerNode } from '@domain/flow/nodes/trigger';

export type TriggerData = z.infer<typeof TriggerNode>['data'];
export type DelayData = z.infer<typeof DelayNode>['data'];
export type SendEmailData = z.infer<typeof SendEmailNode>['data'];
export type ExitData = z.infer<typeof ExitNode>['data'];

export type TriggerFlowNode = Node<TriggerData, 'trigger'>;
export type DelayFlowNode = Node<DelayData, 'delay'>;
export type SendEmailFlowNode = Node<SendEmailData, 'sendEmail'>;
export type ExitFlowNode = Node<ExitData, 'exit'>;
export type EditorNode = TriggerFlowNode | DelayFlowNode | SendEmailFlowNode | ExitFlowNode;
export type EditorEdge = Edge;

/** The fields of an SMTP profile the Sender select shows (a slice of SmtpProfileView: never a password). */
export interface SenderProfile {
  id: string;
  name: string;
  fromEmail: string;
  fromName: string;
  /** The profile this user's own sends use by default: new Send nodes start with it. */
  isDefault: boolean;
}

/**
 * The sender meaning "each agent's own default profile", resolved when a run starts. The type ties it
 * to AGENT_DEFAULT in activities/smtp-profiles.ts, which the browser bundle cannot import (nodemailer).
 */
export const AGENT_DEFAULT_SENDER: typeof import('@domain/senders').AGENT_DEFAULT = '@agent-default';
export const AGENT_DEFAULT_LABEL = 'Agent’s default';

export const NODE_LABELS: Record<FlowNode['type'], string> = {
  trigger: 'Trigger',
  delay: 'Delay',
  sendEmail: 'Send Email',
  exit: 'Exit',
};

function toEditorNode(node: FlowNode): EditorNode {
  const base = { id: node.id, position: node.position, deletable: node.type !== 'trigger' };
  switch (node.type) {
    case 'trigger':
      return { ...base, type: 'trigger', data: node.data };
    case 'delay':
      return { ...base, type: 'delay', data: node.data };
    case 'sendEmail':
      return { ...base, type: 'sendEmail', data: node.data };
    case 'exit':
      return { ...base, type: 'exit', data: node.data };
    default:
      return node satisfies never;
  }
}

export function toEditorEdge(edge: { id: string; source: string; target: string }): EditorEdge {
  return { id: edge.id, source: edge.source, target: edge.target };
}

export function toEditor(graph: FlowGraph): { nodes: EditorNode[]; edges: EditorEdge[] } {
  return { nodes: graph.nodes.map(toEditorNode), edges: graph.edges.map(toEditorEdge) };
}

function toFlowNode(node: EditorNode): FlowNode {
  const base = { id: node.id, position: { x: node.position.x, y: node.position.y } };
  switch (node.type) {
    case 'trigger':
      return { ...base, type: 'trigger', data: node.data };
    case 'delay':
      return { ...base, type: 'delay', data: node.data };
    case 'sendEmail':
      return { ...base, type: 'sendEmail', data: node.data };
    case 'exit':
      return { ...base, type: 'exit', data: node.data };
    default:
      return node satisfies never;
  }
}

/** What the editor saves: the graph exactly as the schema describes it. */
export function toGraph(nodes: EditorNode[], edges: EditorEdge[]): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: nodes.map(toFlowNode),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

/** Node ids must match the schema's [A-Za-z0-9_-]; Math.random works on plain-http hosts too. */
export function newNodeId(type: FlowNode['type'], taken: Set<string>): string {
  for (;;) {
    const id = `${type}-${Math.random().toString(36).slice(2, 8)}`;
    if (!taken.has(id)) return id;
  }
}
