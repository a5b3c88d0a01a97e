/**
 * A throwaway PostgreSQL server: `initdb` into a temporary folder, started with `pg_ctl` on a free port of
 * 127.0.0.1, stopped and removed by `stop()`. The tests (test/postgres.ts) start one with durability off;
 * the bench (bench/postgres.ts) one with PostgreSQL's own durable defaults, as production runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The folder with initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (the newest). */
export function postgresBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && fs.existsSync(path.join(path.dirname(onPath), 'initdb'))) return path.dirname(onPath);
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a)).find((v) => fs.existsSync(path.join(debian, v, 'bin', 'initdb')));
  return newest ? path.join(debian, newest, 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port> (trust authentication, local only), without a database. */
  url: string;
  /** The server's log file (slow statements, with log_min_duration_statement). */
  logFile: string;
  stop: () => void;
}

/**
 * What the README advises for a production server on SSD storage: a random read costs about as much as a
 * sequential one (PostgreSQL's default of 4 assumes spinning disks, and with it the planner reads a whole
 * table rather than an index to count a run's 1,000,000 recipients or delivery rows, two to three times slower).
 */
export const POSTGRES_SETTINGS = { random_page_cost: 1.1 };

export const NOT_INSTALLED = 'PostgreSQL is not installed: initdb and pg_ctl are needed (Debian: apt-get install postgresql)';

/**
 * Starts a new PostgreSQL server in a temporary folder, with these settings (`-c name=value`) over the
 * defaults. As root it runs as the `postgres` OS user (initdb refuses root).
 */
export async function startPostgres(settings: Record<string, string | number> = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(NOT_INSTALLED);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-postgres-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const run = (file: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args], { cwd: dir, stdio: 'pipe' })
      : execFileSync(path.join(bin, file), args, { cwd: dir, stdio: 'pipe' });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)];
  run('pg_ctl', ['start', '-w', '-t', '120', '-D', data, '-l', logFile, '-o', options.join(' ')]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}`,
    logFile,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
