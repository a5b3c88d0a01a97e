/**
 * vitest's globalSetup: the workflow bundle built once for the run (worker/workflow-bundle.ts), unless one
 * matching this code is already in dist/. Every worker the tests start (their own, and `npm start`'s in
 * the browser tests) then loads it instead of running webpack again.
 */
import { buildWorkflowBundle, workflowCode } from '../worker/workflow-bundle';

export default async function setup(): Promise<void> {
  if (!('workflowBundle' in workflowCode().options)) await buildWorkflowBundle();
}
