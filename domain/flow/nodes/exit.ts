/** Exit: the journey ends here. */
import { z } from 'zod';
import { nodeId, type NodeKind, position, stepName } from '../node';

export const ExitData = z.object({});
export type ExitData = z.infer<typeof ExitData>;

export const ExitNode = z.object({ id: nodeId, type: z.literal('exit'), name: stepName, position, data: ExitData.default({}) });

export interface ExitStep {
  type: 'exit';
}

export const exit: NodeKind<'exit', ExitData, ExitStep> = {
  type: 'exit',
  label: 'Exit',
  outputs: 0,
  unique: false,
  defaults: () => ({}),
  summary: () => 'The journey ends here',
  check: () => [],
  step: () => ({ type: 'exit' }),
};
