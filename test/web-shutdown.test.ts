/**
 * The web server's graceful stop (scripts/web-server.ts): on SIGTERM it takes no new connection, but a
 * request under way (here a sign-in whose body is still arriving) gets its answer, and then the
 * process exits 0. Needs the web app built (`next build web`, as `npm start` does).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, root, sleep, tempDir } from './helpers';
import { freePort } from './temporal-dev';

let web: ChildProcess;
let port: number;
let exited: Promise<number | null>;

beforeAll(async () => {
  if (!fs.existsSync(path.join(root, 'web', '.next', 'BUILD_ID'))) {
    execFileSync(path.join(root, 'node_modules', '.bin', 'next'), ['build', 'web'], {
      cwd: root,
      stdio: 'ignore',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
  }
  port = await freePort();
  const env = { ...process.env, PORT: String(port), DRIPLINE_DATA_DIR: tempDir('web-shutdown'), NEXT_TELEMETRY_DISABLED: '1' };
  // The database with better-auth's tables and a first admin, as `npm start` sets it up.
  execFileSync(process.execPath, ['--import', 'tsx', 'server/setup.ts'], { cwd: root, env, stdio: 'ignore' });
  web = spawn(process.execPath, ['--import', 'tsx', 'scripts/web-server.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  exited = new Promise((resolve) => web.once('exit', (code) => resolve(code)));
  await eventually(
    'the web server',
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200 || undefined,
    {
      timeoutMs: 120_000,
    },
  );
}, 600_000);
afterAll(() => {
  if (web?.exitCode === null) web.kill('SIGKILL');
});

describe('the web server on SIGTERM', () => {
  it('answers the request under way, refuses new connections, and exits 0', async () => {
    const body = JSON.stringify({ email: 'nobody@example.test', password: 'not-the-password' });
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const origin = `http://localhost:${port}`;
    socket.write(
      `POST /api/auth/sign-in/email HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nOrigin: ${origin}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    // The request is under way (half its body sent) when the stop comes.
    await sleep(500);
    web.kill('SIGTERM');
    await eventually('the server to stop listening', async () =>
      (await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
    // The rest of the body, as a client does: writing, not half-closing, while it waits for the answer.
    socket.write(body.slice(10));
    await eventually('the answer', () => (answer.includes('\r\n') ? true : undefined));
    socket.destroy();
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 (401|403) /);
    expect(await exited).toBe(0);
  });
});
