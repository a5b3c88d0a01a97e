/**
 * The workflow bundle built ahead of time (scripts/build-workflows.ts, run by `npm run build` and the
 * Docker image), so a production worker starts without running webpack. The bundle's file name carries
 * a hash of what it is made of (workflows/, domain/ and package-lock.json, which pins @temporalio/workflow
 * and zod): a worker loads dist/workflows-<hash>.js only when the hash of the code beside it is the same,
 * so a bundle left over from older code is never loaded; without a matching one the worker bundles at
 * start, as `npm start` and the tests do.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const workflowsPath = path.join(root, 'workflows', 'index.ts');
/** The failure converter runs inside the workflow sandbox too: it is bundled with the workflows. */
export const failureConverterPath = path.join(root, 'workflows', 'failure-converter.cjs');
export const bundleDir = path.join(root, 'dist');

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/** A hash of every file the bundle can be made of, by path and content. */
export function workflowSourceHash(base = root): string {
  const hash = crypto.createHash('sha256');
  const files = [...filesUnder(path.join(base, 'workflows')), ...filesUnder(path.join(base, 'domain')), path.join(base, 'package-lock.json')];
  for (const file of files) {
    hash.update(`${path.relative(base, file)}\0`);
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export const bundleFile = (dir: string, hash: string) => path.join(dir, `workflows-${hash}.js`);

/** Bundles the workflows into `dir` under this code's hash, replacing older bundles there; returns the file. */
export async function buildWorkflowBundle(dir = bundleDir): Promise<string> {
  const hash = workflowSourceHash();
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath });
  fs.mkdirSync(dir, { recursive: true });
  const file = bundleFile(dir, hash);
  for (const old of fs.readdirSync(dir))
    if (/^workflows-[0-9a-f]+\.js$/.test(old) && path.join(dir, old) !== file) fs.rmSync(path.join(dir, old), { force: true });
  // Written beside (a name of its own per process) and renamed: a worker starting meanwhile never reads half a bundle.
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, code);
  fs.renameSync(partial, file);
  return file;
}

/**
 * What Worker.create takes for the workflows: the prebuilt bundle when one matches this code, else the
 * sources to bundle at start; `note` says which, and why, for the worker's log.
 */
export function workflowCode(
  dir = bundleDir,
  hash = workflowSourceHash(),
): { options: { workflowBundle: { codePath: string } } | { workflowsPath: string }; note: string } {
  const file = bundleFile(dir, hash);
  if (fs.existsSync(file)) return { options: { workflowBundle: { codePath: file } }, note: `workflows from the prebuilt bundle ${file}` };
  const others = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^workflows-[0-9a-f]+\.js$/.test(f)) : [];
  const why = others.length
    ? `the bundles in ${dir} (${others.join(', ')}) were built from other code than this (${hash})`
    : `no prebuilt bundle in ${dir}`;
  return { options: { workflowsPath }, note: `bundling the workflows at start: ${why}; \`npm run build\` prebuilds them` };
}
