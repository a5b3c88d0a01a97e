// Every workflow the worker registers. Bundled by Temporal's bundler: relative imports only.
export { journeyWorkflow } from './journey';
