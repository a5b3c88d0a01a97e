/**
 * No Docker engine runs here, so docker-compose.yml is checked by `docker-compose config`
 * (Debian's docker-compose) and against the environment variables the app really reads.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigEnv } from '../server/config';
import { root } from './helpers';

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  build?: { context: string; dockerfile: string };
  image?: string;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(execFileSync('docker-compose', ['config'], { cwd: root, encoding: 'utf8' })) as {
  services: Record<string, ComposeService>;
};

describe('docker-compose.yml', () => {
  it("describes Temporal, its Web UI's guard, the web app, the worker and the sandbox SMTP server, set up once before they start", () => {
    expect(Object.keys(compose.services).sort()).toEqual(['sandbox-smtp', 'setup', 'temporal', 'temporal-ui', 'web', 'worker']);
    for (const name of ['web', 'worker', 'sandbox-smtp', 'temporal-ui']) {
      expect(compose.services[name]?.depends_on?.setup?.condition, name).toBe('service_completed_successfully');
    }
    expect(compose.services.temporal?.command).toEqual(expect.arrayContaining(['server', 'start-dev']));
  });

  it('sets only environment variables the app reads', () => {
    const known = new Set(Object.keys(ConfigEnv.shape));
    for (const [name, service] of Object.entries(compose.services)) {
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(known.has(variable), `${name} sets ${variable}, which the app never reads`).toBe(true);
      }
    }
    // And each one it sets passes the app's own validation.
    for (const service of Object.values(compose.services)) {
      if (service.environment) expect(ConfigEnv.safeParse(service.environment).success).toBe(true);
    }
  });

  it('runs commands and a Dockerfile that exist in the repo', () => {
    for (const service of Object.values(compose.services)) {
      if (service.build) expect(fs.existsSync(path.join(service.build.context, service.build.dockerfile))).toBe(true);
      for (const file of (service.command ?? []).join(' ').match(/[\w/-]+\.ts\b/g) ?? []) {
        expect(fs.existsSync(path.join(root, file)), file).toBe(true);
      }
    }
  });
});
