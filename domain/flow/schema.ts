/**
 * The flow language: what the editor saves and what `compile` turns into a plan.
 * Pure: no Node built-ins and nothing from @temporalio/*, so the editor and the
 * workflow bundle share this one module. Each node type lives in ./nodes.
 */
import { z } from 'zod';
import { NODE_SCHEMAS } from './nodes';

export const SCHEMA_VERSION = 1 as const;

export const FlowNode = z.discriminatedUnion('type', NODE_SCHEMAS);
export type FlowNode = z.infer<typeof FlowNode>;

export const FlowEdge = z.object({
  id: z.string().min(1, 'edge id must not be empty').max(128),
  source: z.string().min(1),
  target: z.string().min(1),
  /** The output it leaves from, for a node with branches (a Condition): the branch id. */
  sourceHandle: z.string().max(64).nullish(),
});
export type FlowEdge = z.infer<typeof FlowEdge>;

export const FlowGraph = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION, {
    error: `schemaVersion must be ${SCHEMA_VERSION}`,
  }),
  nodes: z.array(FlowNode).max(500, 'a flow may have at most 500 nodes'),
  edges: z.array(FlowEdge).max(1000, 'a flow may have at most 1000 edges'),
});
export type FlowGraph = z.infer<typeof FlowGraph>;
export type { NodeType, NodeOf, NodeData } from './nodes';
