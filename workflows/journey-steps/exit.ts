/** A journey's Exit: the journey has completed. */
import type { ExitStep } from '../../domain/flow/plan';
import type { JourneyStep } from '../journey-step';

export const exit: JourneyStep<ExitStep> = async (journey, nodeId) => ({ end: { status: 'completed', nodeId, sent: journey.sent } });
