/**
 * The journey's handler for each step type, keyed by type: `JourneySteps` requires one for every type
 * in the plan's `Step` union, so adding a step type does not type-check until its handler is here.
 */
import type { JourneySteps } from '../journey-step';
import { condition } from './condition';
import { delay } from './delay';
import { exit } from './exit';
import { sendEmail } from './send-email';
import { sendWindow } from './send-window';
import { split } from './split';
import { waitUntil } from './wait-until';
import { webhook } from './webhook';

export const JOURNEY_STEPS: JourneySteps = { delay, sendWindow, sendEmail, condition, split, webhook, waitUntil, exit };
