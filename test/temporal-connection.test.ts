/**
 * Reaching a secured Temporal (server/temporal/connection.ts): the environment variables are checked
 * with a message naming the variable, and a worker and a client really connect through TLS with a
 * private CA, and with mTLS. The Temporal dev server speaks plaintext, so a TLS-terminating proxy
 * (node:tls, ALPN h2) stands in front of it, as a load balancer would. The API key is checked as far
 * as the options carry it: the proxy cannot read an HTTP/2 header without parsing HTTP/2.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../server/config';
import { describeTemporal, explainConnectFailure, temporalConnectionOptions } from '../server/temporal/connection';
import { type Certificates, makeCertificates } from './tls-relay';
import { startTemporalDevServer, type DevServer } from './temporal-dev';

let certs: Certificates;
let server: DevServer;
const file = (name: string) => path.join(certs.dir, name);

/** A client certificate the test CA signed, for mTLS. */
function makeClientCertificate() {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: 'pipe' });
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=dripline-worker');
  fs.writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'client.ext',
    '-out',
    'client.pem',
  );
}

/** TLS in front of the dev server's gRPC port; `mutual`: a client certificate the CA signed is required. */
async function tlsProxy(target: string, mutual: boolean): Promise<{ address: string; close: () => Promise<void> }> {
  const [host = '127.0.0.1', port = '7233'] = target.split(':');
  const sockets = new Set<net.Socket>();
  const proxy = tls.createServer(
    {
      key: fs.readFileSync(file('signed.key')),
      cert: fs.readFileSync(file('signed.pem')),
      ALPNProtocols: ['h2'],
      ...(mutual ? { requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(file('ca.pem')) } : {}),
    },
    (client) => {
      const upstream = net.connect(Number(port), host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    },
  );
  proxy.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** A worker and a client connected with these options run a workflow to its end. */
async function runGreeting(options: ReturnType<typeof temporalConnectionOptions>, taskQueue: string): Promise<string> {
  const workerConnection = await NativeConnection.connect(options);
  const connection = await Connection.connect(options);
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowsPath: path.join(import.meta.dirname, 'tls-greeting-workflow.ts'),
    });
    const client = new Client({ connection });
    return await worker.runUntil(client.workflow.execute('greeting', { taskQueue, workflowId: `${taskQueue}-1`, args: ['TLS'] }));
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}

beforeAll(async () => {
  certs = makeCertificates();
  makeClientCertificate();
  server = await startTemporalDevServer();
});
afterAll(async () => server?.stop());

describe('the Temporal connection settings', () => {
  it('are plaintext to localhost by default', () => {
    const options = temporalConnectionOptions(readConfig({}));
    expect(options).toEqual({ address: 'localhost:7233' });
  });

  it('refuse a certificate file that is not there, naming the variable', () => {
    expect(() => readConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nowhere/ca.pem' })).toThrow(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: no readable file at this path/,
    );
  });

  it('refuse a client certificate without its key, and a key without its certificate', () => {
    expect(() => readConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') })).toThrow(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: TEMPORAL_TLS_CLIENT_CERT_PATH is set without it/,
    );
    expect(() => readConfig({ TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key') })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: TEMPORAL_TLS_CLIENT_KEY_PATH is set without it/,
    );
  });

  it('refuse a TEMPORAL_TLS that is not true, false, 1 or 0', () => {
    expect(() => readConfig({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS:/);
  });

  it('carry an API key (Temporal Cloud) and turn TLS on for it, unless TEMPORAL_TLS=false says otherwise', () => {
    const cloud = temporalConnectionOptions(readConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-123' }));
    expect(cloud).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: {}, apiKey: 'key-123' });
    const plain = temporalConnectionOptions(readConfig({ TEMPORAL_API_KEY: 'key-123', TEMPORAL_TLS: 'false' }));
    expect(plain.tls).toBeUndefined();
    expect(plain.apiKey).toBe('key-123');
    // Logs and errors say how it connects, never the key.
    expect(describeTemporal(readConfig({ TEMPORAL_API_KEY: 'key-123' }))).toBe('localhost:7233 (TLS, API key)');
  });

  it('read the CA, the client pair and the server name into the TLS options', () => {
    const options = temporalConnectionOptions(
      readConfig({
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }),
    );
    expect(options.tls?.serverRootCACertificate?.toString()).toBe(certs.caPem);
    expect(options.tls?.clientCertPair?.crt.toString()).toContain('BEGIN CERTIFICATE');
    expect(options.tls?.clientCertPair?.key.toString()).toContain('PRIVATE KEY');
    expect(options.tls?.serverNameOverride).toBe('temporal.internal');
  });
});

describe('a Temporal behind TLS', () => {
  it('runs a workflow for a worker and a client that trust its private CA', async () => {
    const proxy = await tlsProxy(server.address, false);
    try {
      const config = readConfig({ TEMPORAL_ADDRESS: proxy.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem') });
      expect(await runGreeting(temporalConnectionOptions(config), 'tls-ca')).toBe('hello TLS');
    } finally {
      await proxy.close();
    }
  });

  it('is refused without the CA, with a message that names the variable to set', async () => {
    const proxy = await tlsProxy(server.address, false);
    try {
      const config = readConfig({ TEMPORAL_ADDRESS: proxy.address, TEMPORAL_TLS: 'true' });
      const err = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 5000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(await explainConnectFailure(config, err)).toMatch(/certificate is not trusted .*; set TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
    } finally {
      await proxy.close();
    }
  });
});

describe('a Temporal behind mTLS', () => {
  it('refuses a client without a certificate, with a message that names the variables to set', async () => {
    const proxy = await tlsProxy(server.address, true);
    try {
      const config = readConfig({ TEMPORAL_ADDRESS: proxy.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem') });
      const err = await NativeConnection.connect(temporalConnectionOptions(config)).then(
        async (c) => {
          await c.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(await explainConnectFailure(config, err)).toMatch(/wants a client certificate its CA signed: set TEMPORAL_TLS_CLIENT_CERT_PATH/);
    } finally {
      await proxy.close();
    }
  });

  it('runs a workflow for a worker and a client with a certificate the CA signed', async () => {
    const proxy = await tlsProxy(server.address, true);
    try {
      const config = readConfig({
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
      });
      expect(await runGreeting(temporalConnectionOptions(config), 'mtls')).toBe('hello TLS');
    } finally {
      await proxy.close();
    }
  });
});
