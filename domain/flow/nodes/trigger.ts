/** Trigger: how contacts enter the flow. Not a step of the plan: the plan starts at the node after it. */
import { z } from 'zod';
import { nodeId, type NodeKind, position, stepName } from '../node';

export const TriggerData = z.object({
  /** event: a contact enters by an API event; audience: a run for chosen contacts. */
  source: z.enum(['event', 'audience']).default('audience'),
});
export type TriggerData = z.infer<typeof TriggerData>;

export const TriggerNode = z.object({ id: nodeId, type: z.literal('trigger'), name: stepName, position, data: TriggerData });

export const trigger: NodeKind<'trigger', TriggerData, never> = {
  type: 'trigger',
  label: 'Trigger',
  outputs: 1,
  unique: true,
  defaults: () => ({ source: 'audience' }),
  summary: (data) => (data.source === 'event' ? 'A contact enters by an API event' : 'Contacts enter when you start a run'),
  check: () => [],
  step: () => undefined,
};
