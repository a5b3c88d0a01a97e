/**
 * A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, started on a free port
 * of 127.0.0.1 with durability off (fsync, synchronous commit, full pages: a test's data never needs to
 * survive a crash), stopped and removed at the end. vitest's globalSetup (this file's default export)
 * starts one for the whole run and hands its URL to the test files (`inject('postgresUrl')`); each test
 * file makes databases of its own on it (`freshPostgresDatabase`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's URL without a database (postgres://postgres@127.0.0.1:port), or '' with why it is missing after '#'. */
    postgresUrl: string;
  }
}

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
  /** postgres://postgres@127.0.0.1:<port> (trust authentication, local only). */
  url: string;
  stop: () => void;
}

/** Starts a new PostgreSQL server in a temporary folder. As root it runs as the `postgres` OS user (initdb refuses root). */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: the tests need initdb and pg_ctl (Debian: apt-get install postgresql)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-postgres-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const run = (file: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args], { cwd: dir, stdio: 'pipe' })
      : execFileSync(path.join(bin, file), args, { cwd: dir, stdio: 'pipe' });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['start', '-w', '-t', '120', '-D', data, '-l', path.join(dir, 'server.log'), '-o', options]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}`,
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

/** vitest globalSetup: one server for the run. Without PostgreSQL installed the URL says so, and tests that need it fail saying so. */
export default async function setup(project: TestProject) {
  if (!postgresBin()) {
    project.provide('postgresUrl', '#PostgreSQL is not installed: the tests need initdb and pg_ctl (Debian: apt-get install postgresql)');
    return;
  }
  const server = await startPostgres();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
