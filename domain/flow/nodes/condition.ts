/**
 * Condition: the journey goes down the first branch whose test the contact passes, or "Otherwise".
 * A test looks at the contact's attributes (a ContactFilter, the same rules segments use), at list or
 * segment membership, or at the outcome of an earlier Send Email of the same journey (sent, failed, skipped).
 * A segment is evaluated when the contact reaches the Condition, with the segment's rules as saved then.
 * Each branch is a labelled output: the edge leaving it carries the branch id as its `sourceHandle`.
 */
import { z } from 'zod';
import { type AttributeType, type AttributeValue, coerceAttribute } from '../../contact';
import { checkFilter, ContactFilter, describeFilter, type FilterableContact, matchesFilter } from '../../contact-filter';
import { type FlowError, nodeId, type NodeKind, position, stepName } from '../node';

/** The id of the default branch's output; no branch may take it. */
export const OTHERWISE = 'otherwise';

export const SEND_OUTCOMES = ['sent', 'failed', 'skipped'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];
export const SEND_OUTCOME_TEXT: Record<SendOutcome, string> = {
  sent: 'was sent',
  failed: 'failed',
  skipped: 'was skipped (contact unsubscribed)',
};

export const ENGAGEMENTS = ['opened', 'clicked'] as const;
export type Engagement = (typeof ENGAGEMENTS)[number];
export const WITHIN_UNITS = ['hours', 'days'] as const;
const UNIT_MS: Record<(typeof WITHIN_UNITS)[number], number> = { hours: 3_600_000, days: 86_400_000 };

export const ConditionTest = z.discriminatedUnion(
  'kind',
  [
    /** The contact's attributes (and email, name) match the filter. */
    z.object({ kind: z.literal('attributes'), filter: ContactFilter }),
    /** The contact is a member of the list. */
    z.object({ kind: z.literal('inList'), listId: z.string({ error: 'choose a list' }).min(1, 'choose a list').max(64) }),
    /** The contact matches the saved segment's rules (read when the contact reaches the Condition). */
    z.object({
      kind: z.literal('inSegment'),
      segmentId: z.string({ error: 'choose a segment' }).min(1, 'choose a segment').max(64),
    }),
    /** An earlier Send Email of this journey (a node that comes before this one on every path) ended so. */
    z.object({
      kind: z.literal('sendOutcome'),
      sendNodeId: z.string({ error: 'choose an earlier Send Email' }).min(1, 'choose an earlier Send Email').max(64),
      outcome: z.enum(SEND_OUTCOMES, { error: 'outcome must be sent, failed or skipped' }),
    }),
    /**
     * A person opened (or clicked a link of) the message of an earlier Send Email within so long of its
     * sending, as far as recorded when the contact reaches the Condition: a Delay before it gives them the time.
     */
    z.object({
      kind: z.literal('engaged'),
      sendNodeId: z.string({ error: 'choose an earlier Send Email' }).min(1, 'choose an earlier Send Email').max(64),
      action: z.enum(ENGAGEMENTS, { error: 'action must be opened or clicked' }),
      within: z
        .number({ error: 'within must be a whole number, e.g. 3' })
        .int('within must be a whole number, e.g. 3')
        .min(1, 'within must be at least 1')
        .max(365, 'within is at most 365'),
      unit: z.enum(WITHIN_UNITS, { error: 'unit must be hours or days' }),
    }),
  ],
  {
    error:
      'a test is on attributes, a list, a segment, an earlier send or its opens and clicks (kind attributes, inList, inSegment, sendOutcome or engaged)',
  },
);
export type ConditionTest = z.output<typeof ConditionTest>;

export const branchLabel = z
  .string({ error: 'name this branch, e.g. VIPs' })
  .trim()
  .min(1, 'name this branch, e.g. VIPs')
  .max(60, 'a branch name is at most 60 characters');

/** A branch's id (its output's `sourceHandle`); shared by every node with branches. */
export const branchId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'a branch id uses letters, digits, "-" and "_" (at most 32)')
  .refine((id) => id !== OTHERWISE, `"${OTHERWISE}" is the default branch's id; choose another`);

export const ConditionBranch = z.object({
  id: branchId,
  label: branchLabel,
  test: ConditionTest,
});
export type ConditionBranch = z.output<typeof ConditionBranch>;

export const ConditionData = z.object({
  branches: z
    .array(ConditionBranch, { error: 'branches must be a list' })
    .min(1, 'add a branch: a condition needs at least one branch besides Otherwise')
    .max(20, 'a condition has at most 20 branches'),
  /** What the default branch is called on the canvas; "Otherwise" when not set. */
  otherwiseLabel: branchLabel.optional(),
});
export type ConditionData = z.output<typeof ConditionData>;

export const ConditionNode = z.object({ id: nodeId, type: z.literal('condition'), name: stepName, position, data: ConditionData });

export interface ConditionStep {
  type: 'condition';
  /** Tried in order: the first whose test passes is taken. */
  branches: { id: string; label: string; test: ConditionTest; next: string }[];
  /** The default branch's next node. */
  otherwise: string;
}

export function describeTest(test: ConditionTest, sendTitle: (nodeId: string) => string = (id) => id): string {
  switch (test.kind) {
    case 'attributes':
      return describeFilter(test.filter);
    case 'inList':
      return `in list ${test.listId}`;
    case 'inSegment':
      return `in segment ${test.segmentId}`;
    case 'sendOutcome':
      return `${sendTitle(test.sendNodeId)} ${SEND_OUTCOME_TEXT[test.outcome]}`;
    case 'engaged':
      return `${test.action} ${sendTitle(test.sendNodeId)} within ${test.within} ${test.within === 1 ? test.unit.slice(0, -1) : test.unit}`;
  }
}

function check(node: { id: string; data: ConditionData }): FlowError[] {
  const errors: FlowError[] = [];
  const seen = new Set<string>();
  node.data.branches.forEach((b, i) => {
    if (seen.has(b.id)) errors.push({ nodeId: node.id, field: `data.branches.${i}.id`, message: `two branches share the id "${b.id}"` });
    seen.add(b.id);
  });
  const labels = new Map<string, number>();
  node.data.branches.forEach((b, i) => {
    const key = b.label.toLowerCase();
    if (labels.has(key))
      errors.push({ nodeId: node.id, field: `data.branches.${i}.label`, message: `two branches are named "${b.label}"; give each its own name` });
    labels.set(key, i);
  });
  return errors;
}

/** Every output of a Condition, in order: its branches, then Otherwise. */
export const conditionOutputs = (data: ConditionData) => [
  ...data.branches.map((b) => ({ id: b.id, label: b.label })),
  { id: OTHERWISE, label: data.otherwiseLabel ?? 'Otherwise' },
];

export const condition: NodeKind<'condition', ConditionData, ConditionStep> = {
  type: 'condition',
  label: 'Condition',
  outputs: 'branches',
  branches: (data) => [...data.branches.map((b) => ({ id: b.id, label: b.label })), { id: OTHERWISE, label: data.otherwiseLabel ?? 'Otherwise' }],
  unique: false,
  defaults: () => ({
    branches: [{ id: 'b1', label: 'Branch 1', test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } } }],
  }),
  summary: (data) =>
    data.branches.length === 0 ? 'Add a branch' : `${data.branches.map((b) => b.label).join(', ')} or ${data.otherwiseLabel ?? 'Otherwise'}`,
  check,
  step: (data, _next, nextByBranch) => ({
    type: 'condition',
    branches: data.branches.map((b) => ({ id: b.id, label: b.label, test: b.test, next: nextByBranch[b.id] ?? '' })),
    otherwise: nextByBranch[OTHERWISE] ?? '',
  }),
};

/** What a Condition looks at for one contact: the contact, its lists and segments (of those tested), the outcomes of tested sends. */
export interface ConditionFacts {
  contact: FilterableContact;
  lists: ReadonlySet<string>;
  /** The tested segments whose rules the contact matches (a segment deleted since counts as matching nobody). */
  segments: ReadonlySet<string>;
  /** By Send Email node id; a send with no outcome recorded counts as skipped (nothing was sent). */
  sends: Readonly<Record<string, SendOutcome>>;
  /** By Send Email node id (of those an `engaged` test names): when it was sent, first opened and first clicked by a person (ms). */
  engagement?: Readonly<Record<string, { sentAt?: number; opened?: number; clicked?: number }>>;
}

/** Whether a person opened (a click counts as an open: images may be blocked) or clicked within the time after the send. */
function engaged(test: Extract<ConditionTest, { kind: 'engaged' }>, facts: ConditionFacts): boolean {
  const e = facts.engagement?.[test.sendNodeId];
  const times = [e?.clicked, ...(test.action === 'opened' ? [e?.opened] : [])].filter((t): t is number => t !== undefined);
  if (times.length === 0) return false;
  return e?.sentAt === undefined || Math.min(...times) - e.sentAt <= test.within * UNIT_MS[test.unit];
}

export function passes(test: ConditionTest, facts: ConditionFacts): boolean {
  switch (test.kind) {
    case 'attributes':
      return matchesFilter(facts.contact, test.filter);
    case 'inList':
      return facts.lists.has(test.listId);
    case 'inSegment':
      return facts.segments.has(test.segmentId);
    case 'sendOutcome':
      return (facts.sends[test.sendNodeId] ?? 'skipped') === test.outcome;
    case 'engaged':
      return engaged(test, facts);
  }
}

/** The branch the contact takes: the first whose test passes, else Otherwise. */
export function chooseBranch(step: Pick<ConditionStep, 'branches' | 'otherwise'>, facts: ConditionFacts): { branch: string; next: string } {
  const hit = step.branches.find((b) => passes(b.test, facts));
  return hit ? { branch: hit.id, next: hit.next } : { branch: OTHERWISE, next: step.otherwise };
}

/** The lists, segments and Send Email nodes (their outcomes, their opens and clicks) a step's tests look at. */
export function testedBy(step: Pick<ConditionStep, 'branches'>): {
  listIds: string[];
  segmentIds: string[];
  sendNodeIds: string[];
  engagedNodeIds: string[];
} {
  const lists = new Set<string>();
  const segments = new Set<string>();
  const sends = new Set<string>();
  const engagedSends = new Set<string>();
  for (const { test } of step.branches) {
    if (test.kind === 'inList') lists.add(test.listId);
    if (test.kind === 'inSegment') segments.add(test.segmentId);
    if (test.kind === 'sendOutcome') sends.add(test.sendNodeId);
    if (test.kind === 'engaged') engagedSends.add(test.sendNodeId);
  }
  return { listIds: [...lists], segmentIds: [...segments], sendNodeIds: [...sends], engagedNodeIds: [...engagedSends] };
}

/**
 * Problems of an attribute test given the attributes contacts have (name → type): those of
 * `checkFilter` (an unknown attribute, an operator that does not fit), and a value of the wrong type
 * (text "30" never equals the number 30). Each names the field inside the filter, e.g. "rules.0.value".
 */
export function checkRules(filter: ContactFilter, types: Record<string, AttributeType>): { field: string; message: string }[] {
  const problems = checkFilter(filter, types);
  filter.rules.forEach((rule, i) => {
    const type = types[rule.field];
    if (!type || type === 'text' || !('value' in rule) || problems.some((p) => p.field.startsWith(`rules.${i}.`))) return;
    const values: AttributeValue[] = Array.isArray(rule.value) ? rule.value : [rule.value];
    // A value stored as the attribute's type comes back from coerceAttribute unchanged.
    for (const v of values) {
      const r = coerceAttribute(rule.field, type, v);
      if (r.ok && r.value === v) continue;
      problems.push({ field: `rules.${i}.value`, message: r.ok ? `${rule.field} is a ${type} attribute; enter the value as a ${type}` : r.message });
      return;
    }
  });
  return problems;
}
