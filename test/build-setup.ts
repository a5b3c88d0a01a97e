/**
 * vitest's globalSetup: what the tests' products and workers run, built once before any file starts:
 * the web app's production build (when missing or older than the code) and the workflow bundle (unless
 * one matching this code is in dist/). Each product's start and each worker then finds them ready,
 * instead of running `next build` or webpack again (and two builds into one folder at once would break).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebIfNeeded } from '../scripts/web-build';
import { buildWorkflowBundle, workflowCode } from '../worker/workflow-bundle';

export default async function setup(): Promise<void> {
  buildWebIfNeeded(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), (message) => console.log(`[tests] ${message}`));
  if (!('workflowBundle' in workflowCode().options)) await buildWorkflowBundle();
}
