/**
 * The real product for the bench: `scripts/start.ts` on ports of its own and a fresh data folder,
 * its output kept in a log file, stopped with SIGINT (as Ctrl-C would). Also finds the stack's
 * processes (worker, web, sandbox SMTP, Temporal) among its descendants to read their RSS and CPU.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

export interface Ports {
  web: number;
  temporal: number;
  /** Temporal's Web UI: the gRPC port + 1000, as the dev server does by default. */
  ui: number;
  smtp: number;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** Four free ports, away from the product's defaults and the e2e test's (3310, 7310, 8310, 2610). */
export async function pickPorts(): Promise<Ports> {
  for (let i = 0; i < 60; i++) {
    const ports = { web: 3420 + i, temporal: 7420 + i, ui: 8420 + i, smtp: 2720 + i };
    const free = await Promise.all([
      portFree(ports.web, '0.0.0.0'),
      portFree(ports.temporal, '127.0.0.1'),
      portFree(ports.ui, '127.0.0.1'),
      portFree(ports.smtp, '127.0.0.1'),
    ]);
    if (free.every(Boolean)) return ports;
  }
  throw new Error('found no four free ports for the stack (tried 3420-3479, 7420-7479, 8420-8479, 2720-2779)');
}

export class Stack {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private tail = '';
  private readonly listeners = new Set<(line: string) => void>();
  readonly webUrl: string;
  /** The login the sandbox SMTP server takes (SANDBOX_SMTP_LOGIN): the Sandbox profile uses it, and so does the raw baseline. */
  readonly sandboxLogin = { user: 'bench', password: randomBytes(12).toString('hex') };

  constructor(
    readonly root: string,
    readonly ports: Ports,
    readonly dataDir: string,
    readonly adminPassword: string,
    readonly logFile: string,
    /** More environment for the stack's processes, e.g. { SANDBOX_FAULTS: 'throttle=50/s' }. */
    readonly extraEnv: Record<string, string> = {},
  ) {
    this.webUrl = `http://localhost:${ports.web}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the stack printed (for error messages). */
  lastOutput(chars = 3000): string {
    return this.tail.slice(-chars);
  }

  /** The environment the stack's processes run with (also what another worker for it needs). */
  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PORT: String(this.ports.web),
      TEMPORAL_ADDRESS: `127.0.0.1:${this.ports.temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${this.ports.ui}`,
      SANDBOX_SMTP_PORT: String(this.ports.smtp),
      DRIPLINE_DATA_DIR: this.dataDir,
      DRIPLINE_ADMIN_PASSWORD: this.adminPassword,
      SANDBOX_SMTP_LOGIN: `${this.sandboxLogin.user}:${this.sandboxLogin.password}`,
      NEXT_TELEMETRY_DISABLED: '1',
      // The bench counts every message of its runs in the mailbox: nothing pruned while it runs.
      SANDBOX_KEEP_MESSAGES: '10000000',
      SANDBOX_KEEP_MB: '1000000',
      // NODE_OPTIONS for the stack (BENCH_STACK_NODE_OPTIONS); for CPU profiles of the worker, the sandbox and the web app, DRIPLINE_CPU_PROFILE_DIR=<dir>.
      ...(process.env.BENCH_STACK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_STACK_NODE_OPTIONS } : {}),
      ...this.extraEnv,
    };
  }

  /** Resolves with the first line from now on that matches (or, with `seen`, one already printed); rejects after timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs: number, seen = false): Promise<string> {
    const already = seen ? this.tail.split('\n').find((l) => pattern.test(l)) : undefined;
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`the stack printed no line matching ${pattern} within ${timeoutMs / 1000} s; log: ${this.logFile}`));
      }, timeoutMs);
      const listener = (line: string) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(line);
      };
      this.listeners.add(listener);
    });
  }

  /** Starts it and resolves once it prints "[dripline] ready"; rejects if it exits first or takes too long. */
  async start(timeoutMs: number, onLine?: (line: string) => void): Promise<void> {
    const log = fs.createWriteStream(this.logFile);
    // As npm start runs it: the tsx CLI would SIGKILL it when a relayed signal is not acknowledged in 60 ms.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: this.root,
      // Its own process group: a Ctrl-C on the bench reaches only the bench, which stops the stack in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.env(),
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? null : code)));
    let ready = false;
    let pending = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log.write(text);
      this.tail = (this.tail + text).slice(-20_000);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('[dripline] ready')) ready = true;
        onLine?.(line);
        for (const listener of this.listeners) listener(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void this.exited.then(() => log.end());

    const deadline = Date.now() + timeoutMs;
    while (!ready) {
      if (!this.running)
        throw new Error(`the stack exited before it was ready (${child.exitCode ?? child.signalCode}); log: ${this.logFile}\n${this.lastOutput()}`);
      if (Date.now() > deadline) throw new Error(`the stack was not ready within ${timeoutMs / 1000} s; log: ${this.logFile}\n${this.lastOutput()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGINT, as Ctrl-C; after timeoutMs its whole process group (only what it started) is killed. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.exited) return null;
    if (this.running) child.kill('SIGINT');
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export type Role = 'worker' | 'web' | 'sandbox' | 'temporal';

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(fields[1]), cmdline };
  } catch {
    return undefined;
  }
}

/** Every process below `rootPid` (children, grandchildren, ...), with its command line. */
export function descendants(rootPid: number): ProcInfo[] {
  const all = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined);
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const found: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

function roleOf(cmdline: string): Role | undefined {
  if (cmdline.includes('worker/main.ts')) return 'worker';
  if (cmdline.includes('worker/sandbox.ts')) return 'sandbox';
  if (
    cmdline.includes('scripts/web-server.ts') ||
    cmdline.includes('next-server') ||
    /\bnext start\b|\.bin\/next start\b|next\/dist\/bin\/next start\b/.test(cmdline)
  )
    return 'web';
  if (cmdline.includes('start-dev')) return 'temporal';
  return undefined;
}

/** The stack's processes by role (tsx and next may each be a wrapper plus the real process). */
export function stackProcesses(rootPid: number): Record<Role, number[]> {
  const roles: Record<Role, number[]> = { worker: [], web: [], sandbox: [], temporal: [] };
  for (const p of descendants(rootPid)) {
    const role = roleOf(p.cmdline);
    if (role) roles[role].push(p.pid);
  }
  return roles;
}

/** VmRSS in bytes, or 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process has used so far (0 when gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 of stat (state) is index 0: utime is field 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine so far (every core; /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / clockTicks;
}

export type CpuSnapshot = Record<Role | 'stack' | 'bench' | 'machine', number>;

/** CPU seconds so far of each role, of every process of the stack, of the bench, and of the machine. */
export function cpuSnapshot(pids: Record<Role, number[]>, all: number[]): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    worker: totalCpu(pids.worker),
    web: totalCpu(pids.web),
    sandbox: totalCpu(pids.sandbox),
    temporal: totalCpu(pids.temporal),
    stack: totalCpu(all),
    bench: (usage.user + usage.system) / 1e6,
    machine: machineBusySeconds(),
  };
}

/** What each used between two snapshots; `others` is what processes outside the stack and the bench used. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Record<Role | 'bench' | 'others', number> {
  const d = (k: keyof CpuSnapshot) => Math.round((b[k] - a[k]) * 10) / 10;
  return {
    worker: d('worker'),
    web: d('web'),
    sandbox: d('sandbox'),
    temporal: d('temporal'),
    bench: d('bench'),
    others: Math.max(0, Math.round((d('machine') - d('stack') - d('bench')) * 10) / 10),
  };
}

/** Bytes a role's processes caused to be written to storage so far (/proc/<pid>/io write_bytes: the database and its WAL). */
export function writeBytes(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + Number(/^write_bytes:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      return sum;
    }
  }, 0);
}

/** The largest RSS among a role's processes (the real one, not a wrapper), in MB. */
export function maxRssMb(pids: number[]): number {
  return Math.max(0, ...pids.map(rssBytes)) / (1024 * 1024);
}

/** CPU seconds used by all of a role's processes. */
export function totalCpu(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}
