/**
 * What every node type shares: its id and position rules, the errors `compile` reports, and the
 * shape of a node-type module (domain/flow/nodes/*): schema, defaults, summary, checks, plan step.
 */
import { z } from 'zod';
import { headerSafe } from '../text';

export const nodeId = z
  .string()
  .min(1, 'node id must not be empty')
  .max(64, 'node id must be at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'node id may use only letters, digits, "-" and "_"');

export const position = z.object({ x: z.number().finite(), y: z.number().finite() });

/**
 * A step's own name, e.g. "Wait a day" or "Welcome email": optional, shown on the canvas, in the list of
 * problems, and (carried into the plan) on run pages and in delivery logs instead of the node's id.
 */
export const stepName = headerSafe('step name', 80).optional();

/** One problem with a flow, tied to the node (or edge) the editor should highlight. */
export interface FlowError {
  nodeId?: string;
  edgeId?: string;
  /** The field inside the node, e.g. "data.min"; absent for problems of the whole node. */
  field?: string;
  message: string;
  /** 'warning': shown in the editor's problems, but publishing goes ahead. Absent means an error. */
  severity?: 'warning';
}

/** One labelled output of a branching node: its id is the `sourceHandle` of the edge leaving it. */
export interface NodeBranch {
  id: string;
  label: string;
}

/** Does a node of this kind go on to a next step (one, or one per branch)? */
export const hasOutputs = (kind: { outputs: 0 | 1 | 'branches' }) => kind.outputs !== 0;

/** What the editor knows when it adds a node. */
export interface NodeDefaultsContext {
  /** The sender new Send Email nodes start with. */
  defaultProfileId: string;
}

/** A node type: everything the domain knows about it, in one module. */
export interface NodeKind<Type extends string, Data, Step> {
  type: Type;
  /** The name people see in the palette, the panel and the logs. */
  label: string;
  /**
   * Its next steps: 0 ends the journey, 1 is one next step, 'branches' is one labelled output per
   * branch (`branches(data)`), each an edge whose `sourceHandle` is the branch id.
   */
  outputs: 0 | 1 | 'branches';
  /** For outputs 'branches': every output the node has, in order (ids unique; the last one is the default). */
  branches?(data: Data): NodeBranch[];
  /** A flow has exactly one of these, and it cannot be deleted (the Trigger). */
  unique: boolean;
  /** The data a new node starts with. */
  defaults(context: NodeDefaultsContext): Data;
  /** One line that says what the node does, e.g. "Wait 1–3 minutes (random)". */
  summary(data: Data): string;
  /** Problems the schema cannot see (e.g. min above max); each names the field. */
  check(node: { id: string; data: Data }): FlowError[];
  /**
   * Its step in the plan, given the id of the next node (for outputs 'branches': the next node of
   * each branch, by branch id); undefined when it is not a step (the Trigger).
   */
  step(data: Data, next: string, nextByBranch: Readonly<Record<string, string>>): Step | undefined;
}
