/** Delay: a fixed wait, or Randomize, a random wait between a min and a max (drawn per contact). */
import { z } from 'zod';
import { nodeId, position, type NodeKind } from '../node';

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export const UNIT_MS: Record<DurationUnit, number> = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

const amount = z
  .number({ error: 'must be a number' })
  .finite()
  .nonnegative('must be zero or more (a delay cannot be negative)')
  .max(3650, 'must be at most 3650');

export const DelayData = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('fixed'), amount, unit: z.enum(DURATION_UNITS) }),
  z.object({ mode: z.literal('random'), min: amount, max: amount, unit: z.enum(DURATION_UNITS) }),
]);
export type DelayData = z.infer<typeof DelayData>;

export const DelayNode = z.object({ id: nodeId, type: z.literal('delay'), position, data: DelayData });

/** Inclusive bounds in milliseconds; equal for a fixed delay. */
export interface DelayStep {
  type: 'delay';
  minMs: number;
  maxMs: number;
  next: string;
}

const show = (n: number) => (Number.isFinite(n) ? String(n) : '?');
const unitLabel = (n: number, unit: DurationUnit) => (n === 1 ? unit.replace(/s$/, '') : unit);

export const delay: NodeKind<'delay', DelayData, DelayStep> = {
  type: 'delay',
  label: 'Delay',
  outputs: 1,
  unique: false,
  defaults: () => ({ mode: 'fixed', amount: 1, unit: 'days' }),
  summary: (data) =>
    data.mode === 'fixed'
      ? `Wait ${show(data.amount)} ${unitLabel(data.amount, data.unit)}`
      : `Wait ${show(data.min)}–${show(data.max)} ${unitLabel(data.max, data.unit)} (random)`,
  check: (node) =>
    node.data.mode === 'random' && node.data.min > node.data.max
      ? [{ nodeId: node.id, field: 'data.min', message: `min (${node.data.min}) is above max (${node.data.max}); make min at most max` }]
      : [],
  step: (data, next) => {
    const unit = UNIT_MS[data.unit];
    const [min, max] = data.mode === 'fixed' ? [data.amount, data.amount] : [data.min, data.max];
    return { type: 'delay', minMs: Math.round(min * unit), maxMs: Math.round(max * unit), next };
  },
};
