/** A real Temporal server for tests: `temporal server start-dev` on free ports, in memory, headless. */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/contracts';
import { sleep, toolPath } from './helpers';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The retry and journey workflows' search attributes, registered as `npm start` registers them (scripts/start.ts). */
export const searchAttributeFlags = () => SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]);

export interface DevServer {
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts one on a free port. A port found free can be taken before the server binds it (another test's
 * server or an outgoing connection on this busy machine): then it starts again on another port.
 */
export async function startTemporalDevServer(): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(String((err as Error).message))) throw err;
    }
  }
}

async function startOnce(port: number): Promise<DevServer> {
  const child = spawn(
    toolPath('temporal'),
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', ...searchAttributeFlags()],
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
      if (Date.now() > deadline || child.exitCode !== null) {
        if (child.exitCode === null) child.kill('SIGTERM');
        throw new Error(`Temporal dev server did not start: ${stderr}`, { cause: err });
      }
      await sleep(250);
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
