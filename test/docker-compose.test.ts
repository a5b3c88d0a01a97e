/**
 * docker-compose.yml for production, checked without a Docker engine: `docker-compose config` (test/compose.ts)
 * and the environment variables the app really reads; the scripts it mounts run as the images run them
 * where that can be done here (the PostgreSQL init script, on the tests' PostgreSQL server).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { ConfigEnv, readConfig } from '../server/config';
import { composeConfig, composeSecrets, dockerCompose } from './compose';
import { root, tempInstall } from './helpers';
import { postgresBin } from './postgres';

const compose = composeConfig();
const services = compose.services;
const service = (name: string) => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
/** The services that run Dripline's own image. */
const appServices = Object.entries(services).filter(([, s]) => s.build);

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Temporal on it (schema and namespace set up by admin-tools), its UI, setup, web, worker and an optional sandbox', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'postgres',
        'sandbox-smtp',
        'setup',
        'temporal',
        'temporal-namespace',
        'temporal-schema',
        'temporal-ui',
        'temporal-ui-server',
        'web',
        'worker',
      ].sort(),
    );
    expect(service('postgres').image).toMatch(/^postgres:\d+/);
    // The server image, not the dev server; its schema first, then its namespace.
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(JSON.stringify(service('temporal'))).not.toContain('start-dev');
    expect(service('temporal').environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal').depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(service('temporal-namespace').depends_on?.temporal?.condition).toBe('service_healthy');
    // Setup (migrations, first admin) once before everything of Dripline's; web and worker after the namespace exists.
    for (const [name, s] of appServices.filter(([n]) => n !== 'setup')) {
      expect(s.depends_on?.setup?.condition, name).toBe('service_completed_successfully');
    }
    for (const name of ['web', 'worker'])
      expect(service(name).depends_on?.['temporal-namespace']?.condition, name).toBe('service_completed_successfully');
    // The sandbox only with --profile sandbox; nothing waits for it.
    expect(service('sandbox-smtp').profiles).toEqual(['sandbox']);
    for (const [name, s] of Object.entries(services)) expect(Object.keys(s.depends_on ?? {}), name).not.toContain('sandbox-smtp');
  });

  it("points Temporal's UI at the web app's codec endpoint, with credentials, behind the admin-only guard", () => {
    const ui = service('temporal-ui-server');
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    expect(ui.environment).toMatchObject({
      TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3000/api/temporal-codec',
      TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
      TEMPORAL_DISABLE_WRITE_ACTIONS: 'true',
    });
    expect(ui.ports ?? []).toEqual([]);
    expect(service('temporal-ui').command).toEqual(
      expect.arrayContaining(['scripts/temporal-ui.ts', '--upstream', 'http://temporal-ui-server:8080']),
    );
    // A public URL moves the codec endpoint with it.
    const moved = composeConfig({ ...composeSecrets, DRIPLINE_PUBLIC_URL: 'https://mail.example.com' });
    expect(moved.services['temporal-ui-server']?.environment?.TEMPORAL_CODEC_ENDPOINT).toBe('https://mail.example.com/api/temporal-codec');
  });

  it('sets only environment variables the app reads, each passing its check, on PostgreSQL', () => {
    const known = new Set(Object.keys(ConfigEnv.shape));
    for (const [name, s] of appServices) {
      for (const variable of Object.keys(s.environment ?? {})) {
        expect(known.has(variable), `${name} sets ${variable}, which the app never reads`).toBe(true);
      }
      const config = readConfig(s.environment as Record<string, string>);
      expect(config.database, name).toBe(`postgres://dripline:${composeSecrets.DRIPLINE_DB_PASSWORD}@postgres:5432/dripline`);
      expect(config.DRIPLINE_SECRET_KEY, name).toBe(composeSecrets.DRIPLINE_SECRET_KEY);
    }
    // An optional setting left empty in .env is unset (`${NAME:-}`), not a value failing its check.
    expect(service('web').environment?.DRIPLINE_METRICS_TOKEN).toBe('');
    expect(readConfig(service('web').environment as Record<string, string>).DRIPLINE_METRICS_TOKEN).toBeUndefined();
  });

  it('writes no secret: each comes from .env or the environment, and compose refuses to run without it', () => {
    const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    for (const value of Object.values(composeSecrets)) expect(text).not.toContain(value);
    // Every password, key or token is a variable, not a value.
    for (const line of text.split('\n').filter((l) => /^\s+\w*(PASSWORD|PWD|SECRET|TOKEN|KEY)\w*:/.test(l))) {
      expect(line.split(':').slice(1).join(':').trim(), line).toMatch(/^\$\{/);
    }
    // Each is required (`${NAME:?…}`: compose stops, naming it and how to make one) wherever it is used.
    for (const required of Object.keys(composeSecrets)) {
      const uses = text.match(new RegExp(`\\$\\{${required}\\b[^}]*\\}`, 'g')) ?? [];
      expect(uses.length, required).toBeGreaterThan(0);
      for (const use of uses)
        expect(use, required).toMatch(new RegExp(`^\\$\\{${required}:\\?set ${required} in \\.env \\(openssl rand -hex \\d+\\)\\}$`));
    }
    const { POSTGRES_PASSWORD: _, ...withoutOne } = composeSecrets;
    expect(() => dockerCompose(['config', '-q'], withoutOne)).toThrow(/set POSTGRES_PASSWORD in \.env/);
  });

  it('.env.example lists every secret compose requires, and only what compose reads', () => {
    const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
    const names = [...example.matchAll(/^(\w+)=/gm)].map((m) => m[1]!);
    for (const required of Object.keys(composeSecrets)) expect(names).toContain(required);
    for (const name of names) expect(text, `.env.example sets ${name}, which docker-compose.yml never reads`).toContain(`\${${name}:`);
  });

  it('scales workers: no fixed container name or host name, no published port, and time to drain on stop', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.container_name, name).toBeUndefined();
      expect(s.hostname, name).toBeUndefined();
    }
    const worker = service('worker');
    expect(worker.ports ?? []).toEqual([]);
    // Its endpoints on the compose network for Prometheus, on the port the app reads.
    expect(worker.expose).toEqual([worker.environment?.DRIPLINE_WORKER_HTTP_PORT]);
    const grace = Number(worker.environment?.DRIPLINE_SHUTDOWN_GRACE_SECONDS);
    // The drain, then the worker's 15 s to cancel what is left (worker/main.ts).
    expect(Number.parseInt(worker.stop_grace_period ?? '0', 10)).toBeGreaterThan(grace + 15);
    // The web app's requests under way get the same grace.
    expect(Number.parseInt(service('web').stop_grace_period ?? '0', 10)).toBeGreaterThan(
      Number(service('web').environment?.DRIPLINE_SHUTDOWN_GRACE_SECONDS),
    );
  });

  it("checks health on the web app's and the worker's /readyz, on the ports they listen on", () => {
    expect(service('web').healthcheck?.test.join(' ')).toContain(`127.0.0.1:${service('web').environment?.PORT}/readyz`);
    expect(service('worker').healthcheck?.test.join(' ')).toContain(`127.0.0.1:${service('worker').environment?.DRIPLINE_WORKER_HTTP_PORT}/readyz`);
    expect(service('postgres').healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  it('runs commands, a Dockerfile and mounted scripts that exist in the repo; the shell scripts parse', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) expect(fs.existsSync(path.join(s.build.context, s.build.dockerfile)), name).toBe(true);
      for (const file of (s.command ?? []).join(' ').match(/[\w/-]+\.ts\b/g) ?? []) expect(fs.existsSync(path.join(root, file)), file).toBe(true);
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('/')) continue;
        expect(fs.existsSync(source), `${name} mounts ${source}`).toBe(true);
        if (source.endsWith('.sh')) execFileSync('sh', ['-n', source]);
      }
    }
  });
});

describe("PostgreSQL's init script (scripts/compose/postgres-init.sh)", () => {
  it('creates the app role owning its database, where setup migrates without being a superuser, and a role that may create Temporal’s', async () => {
    const server = inject('postgresUrl');
    if (server.startsWith('#')) throw new Error(server.slice(1));
    const { hostname, port } = new URL(server);
    const admin = new pg.Client({ connectionString: `${server}/postgres` });
    await admin.connect();
    try {
      // As the postgres image runs it: psql on PATH, the superuser's name, the passwords from the environment.
      execFileSync('sh', [path.join(root, 'scripts', 'compose', 'postgres-init.sh')], {
        env: {
          ...process.env,
          PATH: `${postgresBin()}:${process.env.PATH}`,
          PGHOST: hostname,
          PGPORT: port,
          POSTGRES_USER: 'postgres',
          POSTGRES_DB: 'postgres',
          DRIPLINE_DB_PASSWORD: composeSecrets.DRIPLINE_DB_PASSWORD,
          TEMPORAL_DB_PASSWORD: composeSecrets.TEMPORAL_DB_PASSWORD,
        },
        stdio: 'pipe',
      });
      const roles = await admin.query<{ rolname: string; rolsuper: boolean; rolcreatedb: boolean }>(
        "SELECT rolname, rolsuper, rolcreatedb FROM pg_roles WHERE rolname IN ('dripline', 'temporal') ORDER BY rolname",
      );
      expect(roles.rows).toEqual([
        { rolname: 'dripline', rolsuper: false, rolcreatedb: false },
        { rolname: 'temporal', rolsuper: false, rolcreatedb: true },
      ]);
      const database = await admin.query("SELECT datcollate, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'dripline'");
      expect(database.rows).toEqual([{ datcollate: 'C', owner: 'dripline' }]);
      // Setup's migrations and seed, as the app's role.
      const { db } = await tempInstall({ DATABASE_URL: `postgres://dripline@${hostname}:${port}/dripline`, DATABASE_POOL_SIZE: '2' });
      await db.destroy();
      const inApp = new pg.Client({ connectionString: `${server}/dripline` });
      await inApp.connect();
      const owners = await inApp.query<{ owner: string; tables: string }>(
        "SELECT tableowner AS owner, count(*) AS tables FROM pg_tables WHERE schemaname = 'public' GROUP BY tableowner",
      );
      await inApp.end();
      expect(owners.rows.map((r) => r.owner)).toEqual(['dripline']);
      expect(Number(owners.rows[0]?.tables)).toBeGreaterThan(5);
      // Temporal's role creates its databases (temporal-sql-tool create).
      const temporal = new pg.Client({ connectionString: `postgres://temporal@${hostname}:${port}/postgres` });
      await temporal.connect();
      await temporal.query('CREATE DATABASE temporal_visibility_check');
      await temporal.end();
    } finally {
      await admin.query('DROP DATABASE IF EXISTS temporal_visibility_check');
      await admin.query('DROP DATABASE IF EXISTS dripline WITH (FORCE)');
      await admin.query('DROP ROLE IF EXISTS dripline');
      await admin.query('DROP ROLE IF EXISTS temporal');
      await admin.end();
    }
  });
});
