/** A real Temporal server for tests: `temporal server start-dev` on free ports, in memory, headless. */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { toolPath } from './helpers';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface DevServer {
  address: string;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(): Promise<DevServer> {
  const port = await freePort();
  const child = spawn(
    toolPath('temporal'),
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Temporal dev server did not start: ${stderr}`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
