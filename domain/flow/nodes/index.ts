/**
 * Every node type, in one registry. Adding a node type: a module here (schema, defaults, summary,
 * checks, plan step), its entry below, its view and panel in the editor, and its campaign and journey
 * handlers (server/cohort/steps, workflows/journey-steps; docs/architecture.md, "Adding a step type").
 */
import type { z } from 'zod';
import { condition, ConditionNode, type ConditionStep } from './condition';
import { delay, DelayNode, type DelayStep } from './delay';
import { exit, ExitNode, type ExitStep } from './exit';
import { sendEmail, SendEmailNode, type SendEmailStep } from './send-email';
import { sendWindow, SendWindowNode, type SendWindowStep } from './send-window';
import { split, SplitNode, type SplitStep } from './split';
import { trigger, TriggerNode } from './trigger';
import { waitUntil, WaitUntilNode, type WaitUntilStep } from './wait-until';
import { webhook, WebhookNode, type WebhookStep } from './webhook';

/** The zod schema of each node type, for the graph's discriminated union. */
export const NODE_SCHEMAS = [
  TriggerNode,
  DelayNode,
  SendEmailNode,
  ConditionNode,
  ExitNode,
  SendWindowNode,
  SplitNode,
  WebhookNode,
  WaitUntilNode,
] as const;

export type FlowNode = z.infer<(typeof NODE_SCHEMAS)[number]>;
export type NodeType = FlowNode['type'];
/** The node of one type, e.g. NodeOf<'delay'>. */
export type NodeOf<T extends NodeType> = Extract<FlowNode, { type: T }>;
export type NodeData<T extends NodeType> = NodeOf<T>['data'];

/** A step of a compiled plan, with the name its node was given in the editor (if any). */
export type Step = (DelayStep | SendEmailStep | ConditionStep | ExitStep | SendWindowStep | SplitStep | WebhookStep | WaitUntilStep) & {
  name?: string;
};

export const NODE_KINDS = { trigger, delay, sendWindow, sendEmail, condition, split, webhook, waitUntil, exit } as const;
export const NODE_TYPES = Object.keys(NODE_KINDS) as NodeType[];

/** A node type's module, typed by the node it describes (correlates a node with its own module). */
export function kindOf<T extends NodeType>(type: T): (typeof NODE_KINDS)[T] {
  return NODE_KINDS[type];
}
