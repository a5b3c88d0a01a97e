/** How the editor names steps and their fields in messages: what the user sees, never a raw id or path. */
import type { z } from 'zod';
import { fieldLabel } from '@domain/flow/field-labels';
import type { FlowGraph } from '@domain/flow/schema';
import { nodeTitle } from '@domain/flow/step-title';

/**
 * The first reason a graph cannot be saved, e.g. `Min on Delay “Random wait: set Min”: enter a number
 * (0 or more)`: the field as the side panel labels it and the step as the canvas shows it.
 */
export function describeSchemaIssue(graph: FlowGraph, issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'the flow could not be read; reload the page';
  const [head, index, ...rest] = issue.path;
  const node = head === 'nodes' && typeof index === 'number' ? graph.nodes[index] : undefined;
  if (!node) return issue.message;
  const field = rest.map(String).join('.');
  return `${field ? `${fieldLabel(field)} on ` : ''}${nodeTitle(node)}: ${issue.message}`;
}
