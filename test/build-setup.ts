/**
 * vitest's globalSetup: what the tests' products and workers run, built once before any file starts:
 * the web app's production build (when missing or older than the code) and the workflow bundle (unless
 * one matching this code is in dist/). Two test lanes run at once (vitest.config.ts), and two
 * `next build`s into one folder would break each other; every worker then loads the bundle instead of
 * running webpack again.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebIfNeeded } from '../scripts/web-build';
import { buildWorkflowBundle, workflowCode } from '../worker/workflow-bundle';

export default async function setup(): Promise<void> {
  buildWebIfNeeded(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), (message) => console.log(`[tests] ${message}`));
  if (!('workflowBundle' in workflowCode().options)) await buildWorkflowBundle();
}
