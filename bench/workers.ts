/**
 * The stack's worker processes, for the fault scenarios: finding the worker the stack runs, a second
 * worker for the same stack (the same data folder, Temporal and task queue), signals, and which
 * worker holds connections to the sandbox SMTP server (the one running the batch).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { errorText, sleep } from './sink';
import { type Stack, stackProcesses } from './stack';

/** The stack's worker processes (normally one: node --import tsx worker/main.ts). */
export function stackWorkerPids(stack: Stack): number[] {
  if (!stack.pid) return [];
  return stackProcesses(stack.pid).worker;
}

export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Established TCP connections of a process to this local port (the sandbox SMTP server's). */
export function smtpConnections(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[2]: remote address:port in hex, f[3]: state (01 = ESTABLISHED), f[9]: inode.
      if (f.length > 9 && f[3] === '01' && Number.parseInt(f[2]!.split(':')[1] ?? '', 16) === port) inodes.add(f[9]!);
    }
  }
  let n = 0;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) n++;
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return 0;
  }
  return n;
}

/** A second worker for the stack: the same command the stack runs, with the stack's environment, its output in a log file. */
export class ExtraWorker {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  polling = false;

  constructor(
    private readonly stack: Stack,
    readonly logFile: string,
    /** Over the stack's environment, e.g. ports of its own for the worker's operations endpoints. */
    private readonly env: Record<string, string> = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const log = fs.createWriteStream(this.logFile);
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: this.stack.root,
      env: { ...this.stack.env(), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (chunk.toString().includes('polling task queue')) this.polling = true;
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void this.exited.then(() => log.end());
  }

  /** Until it polls its task queue; throws after timeoutMs or if it exits. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.polling) {
      if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`the second worker exited before it polled; log: ${this.logFile}`);
      if (Date.now() > deadline) throw new Error(`the second worker did not poll within ${timeoutMs / 1000} s; log: ${this.logFile}`);
      await sleep(100);
    }
  }

  /** SIGINT (the worker finishes what it runs), SIGKILL after timeoutMs. */
  async stop(timeoutMs = 20_000): Promise<string | null> {
    const child = this.child;
    if (!child || !this.exited || child.exitCode !== null || child.signalCode !== null) return null;
    try {
      child.kill('SIGCONT');
      child.kill('SIGINT');
    } catch (err) {
      return errorText(err);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return null;
  }
}
