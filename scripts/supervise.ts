/**
 * Keeps a child process of `npm start` running: when it exits on its own it is started again after
 * 1 s, 2 s, 4 s… (at most 30 s), and a process that ran for a minute before it died starts the
 * count again at 1 s, so one crash a day never waits 30 s while a crash loop does not spin.
 */
import type { ChildProcess } from 'node:child_process';

export const FIRST_RESTART_DELAY_MS = 1_000;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long before it exited counts as having run well: the backoff starts over. */
export const STABLE_AFTER_MS = 60_000;

/** The wait before restart number `n` in a row (1 for the first). */
export function restartDelay(n: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, n - 1));
}

export interface Supervised {
  readonly name: string;
  /** The process running now; undefined while waiting to start it again. */
  readonly child: ChildProcess | undefined;
  /** No more restarts (a pending one is cancelled); stopping the running process is the caller's. */
  stop(): void;
}

export function supervise(options: {
  name: string;
  /** Starts the process (again). */
  start: () => ChildProcess;
  log: (message: string) => void;
  now?: () => number;
}): Supervised {
  const now = options.now ?? Date.now;
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inARow = 0;

  const launch = () => {
    timer = undefined;
    const startedAt = now();
    const current = options.start();
    child = current;
    current.once('exit', (code, signal) => {
      if (child === current) child = undefined;
      if (stopped) return;
      const ranMs = now() - startedAt;
      inARow = ranMs >= STABLE_AFTER_MS ? 1 : inARow + 1;
      const delay = restartDelay(inARow);
      options.log(
        `${options.name} (pid ${current.pid}) exited on its own (${signal ?? `exit code ${code}`}) after ${(ranMs / 1000).toFixed(1)} s; ` +
          `starting it again in ${delay / 1000} s (restart ${inARow} in a row); the rest keeps running`,
      );
      timer = setTimeout(() => {
        if (stopped) return;
        launch();
        options.log(`${options.name} started again (pid ${child?.pid})`);
      }, delay);
    });
  };
  launch();

  return {
    name: options.name,
    get child() {
      return child;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
