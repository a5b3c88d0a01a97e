/**
 * Keeps a child process of `npm start` running: when it exits on its own it is started again after
 * 1 s, 2 s, 4 s… (at most 30 s), and a process that ran for a minute before it died starts the
 * count again at 1 s, so one crash a day never waits 30 s. A crash loop (5 exits within 60 s: a port
 * taken, a broken build, a database it cannot open) is not hidden by restarts: the supervisor gives up
 * and says so, and `npm start` stops with that reason.
 */
import type { ChildProcess } from 'node:child_process';

export const FIRST_RESTART_DELAY_MS = 1_000;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long before it exited counts as having run well: the backoff starts over. */
export const STABLE_AFTER_MS = 60_000;

/** This many exits within CRASH_LOOP_WINDOW_MS is a crash loop: no more restarts. */
export const CRASH_LOOP_EXITS = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;

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
  /** Called once, instead of a restart, when the process is in a crash loop; the message says why. */
  onCrashLoop: (message: string) => void;
  now?: () => number;
  /** The wait before restart `n` in a row (restartDelay unless a test shortens it). */
  delay?: (n: number) => number;
}): Supervised {
  const now = options.now ?? Date.now;
  const delayFor = options.delay ?? restartDelay;
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inARow = 0;
  /** When it exited on its own, the last CRASH_LOOP_EXITS times. */
  const exits: number[] = [];

  const launch = () => {
    timer = undefined;
    const startedAt = now();
    const current = options.start();
    child = current;
    current.once('exit', (code, signal) => {
      if (child === current) child = undefined;
      if (stopped) return;
      const exitedAt = now();
      const ranMs = exitedAt - startedAt;
      const how = signal ?? `exit code ${code}`;
      exits.push(exitedAt);
      if (exits.length > CRASH_LOOP_EXITS) exits.shift();
      if (exits.length === CRASH_LOOP_EXITS && exitedAt - exits[0]! <= CRASH_LOOP_WINDOW_MS) {
        stopped = true;
        options.onCrashLoop(
          `${options.name} exited on its own ${CRASH_LOOP_EXITS} times within ${CRASH_LOOP_WINDOW_MS / 1000} s (the last: ${how}); ` +
            'not starting it again: its output above says why',
        );
        return;
      }
      inARow = ranMs >= STABLE_AFTER_MS ? 1 : inARow + 1;
      const delay = delayFor(inARow);
      options.log(
        `${options.name} (pid ${current.pid}) exited on its own (${how}) after ${(ranMs / 1000).toFixed(1)} s; ` +
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

/** How long the worker may take to cancel what its drain left running (worker/main.ts: shutdownForceTime). */
const WORKER_FORCE_SECONDS = 15;

/**
 * How long `npm start` waits for a process after SIGTERM before it kills it: the worker gets its drain
 * (DRIPLINE_SHUTDOWN_GRACE_SECONDS), the 15 s it may take to cancel what is still running, and 5 s more;
 * the web app the same grace for its requests under way (scripts/web-server.ts) and 5 s more; every
 * other process 15 s.
 */
export function stopTimeoutMs(name: string, graceSeconds: number): number {
  if (name === 'worker') return (graceSeconds + WORKER_FORCE_SECONDS + 5) * 1000;
  if (name === 'web') return (graceSeconds + 5) * 1000;
  return 15_000;
}

/** Sends SIGTERM, and SIGKILL if the process has not exited `timeoutMs` later (saying so); resolves once it has exited. */
export function stopProcess(child: ChildProcess | undefined, name: string, timeoutMs: number, log: (message: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      log(`${name} did not stop in ${timeoutMs / 1000} s; killing it`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
