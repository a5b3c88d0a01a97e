/**
 * `npm run build` (beside `next build web`) and the Docker image: the workflow bundle the worker loads
 * instead of bundling at start (worker/workflow-bundle.ts says how a stale one is never loaded).
 */
import { buildWorkflowBundle } from '../worker/workflow-bundle';

const file = await buildWorkflowBundle();
console.log(`workflow bundle written to ${file}`);
