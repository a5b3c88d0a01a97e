/**
 * The web app's production build (`next build web`), made when it is missing or older than the code it
 * is built from: by `npm start`, and by tests that run the web app as production does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function webNeedsBuild(root: string): boolean {
  const buildId = path.join(root, 'web', '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  const newer = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      if (e.name === '.next' || e.name === 'node_modules') return false;
      const p = path.join(dir, e.name);
      return e.isDirectory() ? newer(p) : fs.statSync(p).mtimeMs > built;
    });
  // workflows/ too: the web app loads workflows/contracts.ts (ids, signals) through server/.
  return ['web', 'domain', 'server', 'workflows'].some((d) => newer(path.join(root, d)));
}

/** Builds the web app when it needs it; `log` says so first. */
export function buildWebIfNeeded(root: string, log: (message: string) => void): void {
  if (!webNeedsBuild(root)) return;
  log('building the web app (next build web)...');
  execFileSync(path.join(root, 'node_modules', '.bin', 'next'), ['build', 'web'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
}
