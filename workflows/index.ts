// Every workflow the worker registers. Bundled by Temporal's bundler: relative imports only.
export { campaignWorkflow } from './campaign';
export { journeyWorkflow } from './journey';
export { recipientRetryWorkflow } from './recipient-retry';
export { contactImportWorkflow } from './contact-import';
export { dateTriggerWorkflow } from './date-trigger';
export { segmentCheckWorkflow } from './segment-check';
