/**
 * docker-compose.yml as `docker-compose config` resolves it (Debian's docker-compose; no Docker engine
 * runs here), with the secrets it requires from an env file the test writes: never the developer's
 * .env, never this process's environment.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { root, tempDir } from './helpers';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  ports?: (string | { host_ip?: string; published?: number | string; target?: number })[];
  expose?: string[];
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  container_name?: string;
  hostname?: string;
  stop_grace_period?: string;
}

/** The values the test gives the secrets docker-compose.yml requires; none of them may be written in it. */
export const composeSecrets = {
  POSTGRES_PASSWORD: 'pgsuper0a1b2c3d4e5f',
  DRIPLINE_DB_PASSWORD: 'pgapp0a1b2c3d4e5f',
  TEMPORAL_DB_PASSWORD: 'pgtemporal0a1b2c3d4e5f',
  DRIPLINE_SECRET_KEY: '5e'.repeat(32),
};

/** Runs `docker-compose <args>` with exactly these variables (and PATH, HOME); its output, or throws with its error. */
export function dockerCompose(args: string[], vars: Record<string, string> = composeSecrets): string {
  const envFile = path.join(tempDir('compose'), '.env');
  fs.writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return execFileSync('docker-compose', ['--env-file', envFile, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { NODE_ENV: 'test', PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function composeConfig(vars?: Record<string, string>): { services: Record<string, ComposeService> } {
  return parse(dockerCompose(['config'], vars)) as { services: Record<string, ComposeService> };
}
