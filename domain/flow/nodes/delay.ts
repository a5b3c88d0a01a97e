/** Delay: a fixed wait, or Randomize, a random wait between a min and a max (drawn per contact). */
import { z } from 'zod';
import { nodeId, type NodeKind, position, stepName } from '../node';

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export const UNIT_MS: Record<DurationUnit, number> = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

const amount = z
  .number({ error: 'enter a number (0 or more)' })
  .finite('enter a number (0 or more)')
  .nonnegative('enter 0 or more (a wait cannot be negative)')
  .max(3650, 'enter at most 3650');

export const DelayData = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('fixed'), amount, unit: z.enum(DURATION_UNITS) }),
  z.object({ mode: z.literal('random'), min: amount, max: amount, unit: z.enum(DURATION_UNITS) }),
]);
export type DelayData = z.infer<typeof DelayData>;

export const DelayNode = z.object({ id: nodeId, type: z.literal('delay'), name: stepName, position, data: DelayData });

/** Inclusive bounds in milliseconds; equal for a fixed delay. */
export interface DelayStep {
  type: 'delay';
  minMs: number;
  maxMs: number;
  next: string;
}

/** An empty box in the editor is NaN (null once saved and loaded): say what is missing, never "NaN". */
const isSet = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const unitLabel = (n: number, unit: DurationUnit) => (n === 1 ? unit.replace(/s$/, '') : unit);

function summary(data: DelayData): string {
  if (data.mode === 'fixed') return isSet(data.amount) ? `Wait ${data.amount} ${unitLabel(data.amount, data.unit)}` : 'Wait: set how long';
  const missing = [isSet(data.min) ? '' : 'Min', isSet(data.max) ? '' : 'Max'].filter(Boolean);
  if (missing.length > 0) return `Random wait: set ${missing.join(' and ')}`;
  return `Wait ${data.min}–${data.max} ${unitLabel(data.max, data.unit)} (random)`;
}

export const delay: NodeKind<'delay', DelayData, DelayStep> = {
  type: 'delay',
  label: 'Delay',
  outputs: 1,
  unique: false,
  defaults: () => ({ mode: 'fixed', amount: 1, unit: 'days' }),
  summary,
  check: (node) =>
    node.data.mode === 'random' && node.data.min > node.data.max
      ? [{ nodeId: node.id, field: 'data.min', message: `Min (${node.data.min}) is more than Max (${node.data.max}); make Min at most Max` }]
      : [],
  step: (data, next) => {
    const unit = UNIT_MS[data.unit];
    const [min, max] = data.mode === 'fixed' ? [data.amount, data.amount] : [data.min, data.max];
    return { type: 'delay', minMs: Math.round(min * unit), maxMs: Math.round(max * unit), next };
  },
};
