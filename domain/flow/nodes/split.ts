/**
 * A/B split: each contact goes down one of 2 to 5 branches, drawn by the branches' percentages. The
 * draw is keyed by a seed (the campaign run's, or one derived from the journey's run id) and the
 * contact id, so a replay, a retried activity or a batch re-advanced after a crash draws the same.
 * Each branch is a labelled output: the edge leaving it carries the branch id as its `sourceHandle`.
 */
import { z } from 'zod';
import { keyedRandom } from '../draw';
import { type FlowError, nodeId, type NodeKind, position, stepName } from '../node';
import { branchId, branchLabel } from './condition';

export const SplitBranch = z.object({
  id: branchId,
  label: branchLabel,
  percent: z
    .number({ error: 'enter a percentage from 0 to 100' })
    .int('enter a whole percentage, e.g. 50')
    .min(0, 'enter a percentage from 0 to 100')
    .max(100, 'enter a percentage from 0 to 100'),
});
export type SplitBranch = z.output<typeof SplitBranch>;

const total = (branches: readonly { percent: number }[]) => branches.reduce((sum, b) => sum + b.percent, 0);

export const SplitData = z.object({
  branches: z
    .array(SplitBranch, { error: 'branches must be a list' })
    .min(2, 'an A/B split needs at least 2 branches; add one')
    .max(5, 'an A/B split has at most 5 branches; remove one')
    .refine((branches) => total(branches) === 100, {
      error: (issue) => `the branches' percentages add up to ${total(issue.input as SplitBranch[])}; make them add up to 100`,
    }),
});
export type SplitData = z.output<typeof SplitData>;

export const SplitNode = z.object({ id: nodeId, type: z.literal('split'), name: stepName, position, data: SplitData });

export interface SplitStep {
  type: 'split';
  /** In order: a draw in [0, 1) takes the first branch whose running total of percentages is above it. */
  branches: { id: string; label: string; percent: number; next: string }[];
}

/** The branch a draw in [0, 1) falls into; the last branch with a share takes anything left by rounding. */
export function splitBranch(step: Pick<SplitStep, 'branches'>, draw: number): { branch: string; next: string } {
  let upTo = 0;
  const shared = step.branches.filter((b) => b.percent > 0);
  for (const b of shared) {
    upTo += b.percent;
    if (draw * 100 < upTo) return { branch: b.id, next: b.next };
  }
  const last = shared[shared.length - 1] ?? step.branches[step.branches.length - 1];
  if (!last) throw new RangeError('an A/B split has no branches');
  return { branch: last.id, next: last.next };
}

/** One contact's draw at one split node: the same for the same seed, node and contact, whatever order contacts come in. */
export const splitDraw = (seed: number, nodeId: string, contactId: string) => keyedRandom(seed, `${nodeId}\n${contactId}`);

/** A journey's seed: derived from its run id (each journey has its own), so it needs no random number and replays the same. */
export const journeySeed = (runId: string) => Math.floor(keyedRandom(0, runId) * 4294967296);

function check(node: { id: string; data: SplitData }): FlowError[] {
  const errors: FlowError[] = [];
  const ids = new Set<string>();
  const labels = new Set<string>();
  node.data.branches.forEach((b, i) => {
    if (ids.has(b.id)) errors.push({ nodeId: node.id, field: `data.branches.${i}.id`, message: `two branches share the id "${b.id}"` });
    ids.add(b.id);
    const key = b.label.toLowerCase();
    if (labels.has(key))
      errors.push({ nodeId: node.id, field: `data.branches.${i}.label`, message: `two branches are named "${b.label}"; give each its own name` });
    labels.add(key);
  });
  return errors;
}

export const split: NodeKind<'split', SplitData, SplitStep> = {
  type: 'split',
  label: 'A/B split',
  outputs: 'branches',
  branches: (data) => data.branches.map((b) => ({ id: b.id, label: b.label })),
  unique: false,
  defaults: () => ({
    branches: [
      { id: 'a', label: 'A', percent: 50 },
      { id: 'b', label: 'B', percent: 50 },
    ],
  }),
  summary: (data) => data.branches.map((b) => `${b.label} ${Number.isFinite(b.percent) ? b.percent : '?'}%`).join(', '),
  check,
  step: (data, _next, nextByBranch) => ({
    type: 'split',
    branches: data.branches.map((b) => ({ id: b.id, label: b.label, percent: b.percent, next: nextByBranch[b.id] ?? '' })),
  }),
};
