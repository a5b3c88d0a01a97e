/**
 * `npm start` as a supervisor, with the real product on its own ports: the worker and the sandbox SMTP
 * server, killed with SIGKILL, are started again (a new process, a log line, backoff) while the web app
 * keeps answering; Ctrl-C (SIGINT) still stops everything and closes every port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as polled, portOpen, root, sleep, tempDir } from './helpers';
import { restartDelay, stopProcess, stopTimeoutMs, supervise } from '../scripts/supervise';
import { freePort } from './temporal-dev';

// DRIPLINE_SUPERVISOR_PORTS=web,temporal,ui,smtp moves this copy (default 3510,7510,8510,2810).
const [webPort = 3510, temporalPort = 7510, uiPort = 8510, smtpPort = 2810] = (process.env.DRIPLINE_SUPERVISOR_PORTS ?? '')
  .split(',')
  .filter(Boolean)
  .map(Number);
const ports = [webPort, temporalPort, uiPort, smtpPort];
const web = `http://127.0.0.1:${webPort}`;
const dataDir = tempDir('supervisor');
let app: ChildProcess;
let output = '';
/** Every process of the product seen during the test, to check none is left after Ctrl-C. */
const seen = new Map<number, string>();

/** Whether the process still runs (a zombie, exited but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

/** `app` and the processes below it (from /proc), each with its parent and command line. */
function descendants(): Proc[] {
  const all = new Map<number, Proc>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      all.set(Number(entry), { pid: Number(entry), ppid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  // The start script itself (run by `node --import tsx`, no wrapper), then everything below it.
  const self = all.get(app.pid!);
  const found: Proc[] = self ? [self] : [];
  const queue = [app.pid!];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all.values()) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  for (const p of found) seen.set(p.pid, p.cmd);
  return found;
}

/** The process that runs `script` itself: of those whose command line names it, the one with no such child. */
function runnerOf(script: string): Proc | undefined {
  const procs = descendants();
  const named = procs.filter((p) => p.cmd.includes(script));
  return named.find((p) => !named.some((q) => q.ppid === p.pid));
}

/** Polls `check` (up to 3 minutes by default); on a timeout, shows the end of what `npm start` printed. */
const eventually = <T>(what: string, check: () => T | Promise<T>, timeoutMs = 180_000) =>
  polled(what, check, { timeoutMs, seen: () => output.slice(-3000) });

/** Asks the web app for a page every 250 ms until `stop` is called; resolves to every answer (a status, or the error). */
function pollWeb() {
  const answers: (number | string)[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      answers.push(
        await fetch(`${web}/flows`).then(
          (r) => r.status,
          (e: unknown) => String(e),
        ),
      );
      await sleep(250);
    }
    return answers;
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

const count = (text: string) => output.split(text).length - 1;

describe('npm start supervises the worker and the sandbox', () => {
  beforeAll(async () => {
    for (const port of ports) expect(await portOpen(port), `port ${port} is free before the test`).toBe(false);
    app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DRIPLINE_DATA_DIR: dataDir,
        PORT: String(webPort),
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
        SANDBOX_SMTP_PORT: String(smtpPort),
        DRIPLINE_ADMIN_PASSWORD: 'admin-password-supervisor',
        // The worker's endpoints on ports of their own: a browser test's product may run beside this one.
        DRIPLINE_WORKER_HTTP_PORT: String(await freePort()),
        DRIPLINE_WORKER_SDK_METRICS_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('[dripline] ready')) resolve();
      };
      app.stdout!.on('data', onData);
      app.stderr!.on('data', onData);
      app.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-4000)}`)));
    });
  });

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      app.kill('SIGINT');
      await Promise.race([new Promise((r) => app.once('exit', r)), sleep(30_000)]);
    }
    for (const pid of seen.keys()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a new worker when the worker is killed, while the web app keeps answering', async () => {
    const script = runnerOf('scripts/start.ts');
    const worker = runnerOf('worker/main.ts');
    const temporal = descendants().find((p) => p.cmd.includes('server start-dev'));
    expect(script && worker && temporal).toBeTruthy();
    // The worker runs under `node --import tsx`, as a direct child of the start script: no tsx wrapper
    // whose death would leave it running.
    expect(worker!.ppid).toBe(script!.pid);
    expect(worker!.cmd).toMatch(/--import tsx worker\/main\.ts$/);
    await eventually('the worker to poll', () => (count('[worker] polling task queue') === 1 ? true : undefined));

    const web = pollWeb();
    process.kill(worker!.pid, 'SIGKILL');
    await eventually('the kill to be logged', () =>
      output.includes(`[dripline] worker (pid ${worker!.pid}) exited on its own (SIGKILL)`) ? true : undefined,
    );
    expect(output).toMatch(
      /worker \(pid \d+\) exited on its own \(SIGKILL\) after [\d.]+ s; starting it again in 1 s \(restart 1 in a row\); the rest keeps running/,
    );
    const replacement = await eventually('a new worker process', () => {
      const p = runnerOf('worker/main.ts');
      return p && p.pid !== worker!.pid ? p : undefined;
    });
    expect(replacement.ppid).toBe(script!.pid);
    expect(alive(worker!.pid)).toBe(false);
    expect(output).toContain(`[dripline] worker started again (pid ${replacement.pid})`);
    await eventually('the new worker to poll', () => (count('[worker] polling task queue') === 2 ? true : undefined));
    const answers = await web.stop();

    // Nothing else moved: the web app answered all along, Temporal and the start script still run.
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.filter((a) => a !== 200)).toEqual([]);
    expect(alive(temporal!.pid)).toBe(true);
    expect(app.exitCode).toBeNull();
    expect(output).not.toContain('stopping everything');
  }, 300_000);

  it('starts the sandbox again, waiting twice as long after a second death in a row', async () => {
    const first = runnerOf('worker/sandbox.ts')!;
    process.kill(first.pid, 'SIGKILL');
    const second = await eventually('a second sandbox', () => {
      const p = runnerOf('worker/sandbox.ts');
      return p && p.pid !== first.pid && output.includes(`[dripline] sandbox-smtp started again (pid ${p.pid})`) ? p : undefined;
    });
    expect(output).toContain(`sandbox-smtp (pid ${first.pid}) exited on its own (SIGKILL)`);
    await eventually('the sandbox to listen again', async () =>
      (await portOpen(smtpPort)) && count('[sandbox-smtp] listening on') === 2 ? true : undefined,
    );

    process.kill(second.pid, 'SIGKILL');
    await eventually('a third sandbox', () => (count('[sandbox-smtp] listening on') === 3 ? true : undefined));
    expect(output).toMatch(
      new RegExp(
        `sandbox-smtp \\(pid ${second.pid}\\) exited on its own \\(SIGKILL\\) after [\\d.]+ s; starting it again in 2 s \\(restart 2 in a row\\)`,
      ),
    );
    expect(await portOpen(smtpPort)).toBe(true);
    expect(app.exitCode).toBeNull();
  }, 120_000);

  it('still stops everything on Ctrl-C (SIGINT): every process exits and every port closes', async () => {
    descendants();
    expect(seen.size).toBeGreaterThan(4);
    app.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => app.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(output).toContain('[dripline] stopped');
    // No restart while stopping.
    expect(output.slice(output.lastIndexOf('[dripline] stopping...'))).not.toContain('starting it again');
    for (const port of ports) expect(await portOpen(port), `port ${port}`).toBe(false);
    // A grandchild (one of Next's) may take a moment longer to go than the child that waited for it.
    const left = () => [...seen].filter(([pid]) => alive(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
    await eventually('every process to exit', () => (left().length === 0 ? true : undefined), 10_000).catch(() => undefined);
    expect(left()).toEqual([]);
  }, 60_000);
});

describe('restart backoff', () => {
  it('waits 1 s, 2 s, 4 s… up to 30 s between restarts in a row', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('starts over at 1 s after a process that ran for a minute, and stop() cancels a pending restart', async () => {
    // Real processes that exit at once; the clock the supervisor reads jumps a minute during the third run.
    let clock = 0;
    let starts = 0;
    const lines: string[] = [];
    const crasher = supervise({
      name: 'crasher',
      now: () => clock,
      log: (line) => lines.push(line),
      onCrashLoop: (line) => lines.push(line),
      start: () => {
        if (++starts === 3) clock += 61_000;
        return spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
      },
    });
    await eventually('three exits', () => (lines.filter((l) => l.includes('exited')).length === 3 ? true : undefined), 30_000);
    crasher.stop();
    const exits = lines.filter((l) => l.includes('exited'));
    expect(exits[0]).toMatch(/^crasher \(pid \d+\) exited on its own \(exit code 3\) after 0\.0 s; starting it again in 1 s \(restart 1 in a row\)/);
    expect(exits[1]).toMatch(/starting it again in 2 s \(restart 2 in a row\)/);
    expect(exits[2]).toMatch(/after 61\.0 s; starting it again in 1 s \(restart 1 in a row\)/);
    await sleep(1_500);
    expect(starts).toBe(3);
    expect(crasher.child).toBeUndefined();
  }, 60_000);

  it('gives up on a crash loop (5 exits within 60 s), once, saying why; 5 exits spread over more than 60 s are restarted', async () => {
    const run = async (apartMs: number) => {
      let clock = 0;
      let starts = 0;
      const lines: string[] = [];
      const loops: string[] = [];
      const crasher = supervise({
        name: 'web',
        now: () => clock,
        log: (line) => lines.push(line),
        onCrashLoop: (line) => loops.push(line),
        // Restarts at once: the backoff is tested above.
        delay: () => 10,
        start: () => {
          starts++;
          clock += apartMs;
          return spawn(process.execPath, ['-e', 'process.exit(7)'], { stdio: 'ignore' });
        },
      });
      await eventually('five exits', () => (lines.filter((l) => l.includes('exited')).length + loops.length >= 5 ? true : undefined), 30_000);
      await sleep(500);
      crasher.stop();
      return { starts, loops, lines };
    };

    const loop = await run(0);
    expect(loop.loops).toEqual([
      'web exited on its own 5 times within 60 s (the last: exit code 7); not starting it again: its output above says why',
    ]);
    expect(loop.starts).toBe(5);
    expect(loop.lines.filter((l) => l.includes('starting it again in'))).toHaveLength(4);

    // 16 s between starts (the clock the supervisor reads): the 5th exit comes 64 s after the 1st, so it is restarted like the others.
    const spread = await run(16_000);
    expect(spread.loops).toEqual([]);
    expect(spread.starts).toBeGreaterThan(5);
  }, 60_000);
});

describe('stopping', () => {
  /** A process that handles SIGTERM as `onTerm` says, started and listening for it. */
  async function started(onTerm: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', `process.on('SIGTERM', () => { ${onTerm} }); console.log('ready'); setInterval(() => {}, 1000);`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    return child;
  }

  it("waits for the worker's drain and the web app's requests (DRIPLINE_SHUTDOWN_GRACE_SECONDS) and a margin; 15 s for the others", () => {
    expect(stopTimeoutMs('worker', 60)).toBe(80_000);
    expect(stopTimeoutMs('worker', 300)).toBe(320_000);
    expect(stopTimeoutMs('web', 60)).toBe(65_000);
    expect(stopTimeoutMs('sandbox-smtp', 60)).toBe(15_000);
  });

  it('lets a process that stops on SIGTERM finish on its own, and kills one that does not, saying so', async () => {
    const lines: string[] = [];
    const draining = await started('setTimeout(() => process.exit(0), 300);');
    await stopProcess(draining, 'worker', 60_000, (l) => lines.push(l));
    expect([draining.exitCode, draining.signalCode]).toEqual([0, null]);
    const stubborn = await started('/* ignores it */');
    await stopProcess(stubborn, 'web', 500, (l) => lines.push(l));
    expect(stubborn.signalCode).toBe('SIGKILL');
    expect(lines).toEqual(['web did not stop in 0.5 s; killing it']);
  });
});
