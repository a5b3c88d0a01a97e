/**
 * How every process reaches Temporal (the worker's NativeConnection, the web app's, `npm start`'s and
 * the bench's client Connection): the address and namespace, and for a secured cluster TLS (a private
 * CA, a client certificate for mTLS, a server name) or Temporal Cloud's API key, from the environment
 * variables the temporal CLI reads too (server/config.ts).
 */
import fs from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

export type TemporalConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/** What Connection.connect and NativeConnection.connect both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** Whether the connection uses TLS: asked for, or implied by a certificate, a CA, a server name or an API key (unless TEMPORAL_TLS=false). */
export function usesTls(config: TemporalConfig): boolean {
  if (config.TEMPORAL_TLS !== undefined) return config.TEMPORAL_TLS;
  return Boolean(
    config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_SERVER_CA_CERT_PATH || config.TEMPORAL_TLS_CLIENT_CERT_PATH || config.TEMPORAL_TLS_SERVER_NAME,
  );
}

export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionOptions {
  const read = (variable: keyof TemporalConfig, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${variable}: cannot read ${file} (${(err as Error).message}); give the path of a PEM file`);
    }
  };
  const { TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key } = config;
  const tls: TLSConfig | undefined = usesTls(config)
    ? {
        ...(ca ? { serverRootCACertificate: read('TEMPORAL_TLS_SERVER_CA_CERT_PATH', ca) } : {}),
        ...(cert && key
          ? { clientCertPair: { crt: read('TEMPORAL_TLS_CLIENT_CERT_PATH', cert), key: read('TEMPORAL_TLS_CLIENT_KEY_PATH', key) } }
          : {}),
        ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
      }
    : undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

/** Temporal as log lines and error messages name it: the address, and how it is secured (never the key). */
export function describeTemporal(config: TemporalConfig): string {
  const how = [
    usesTls(config) ? 'TLS' : 'plaintext',
    ...(config.TEMPORAL_TLS_CLIENT_CERT_PATH ? ['client certificate'] : []),
    ...(config.TEMPORAL_API_KEY ? ['API key'] : []),
  ];
  return `${config.TEMPORAL_ADDRESS} (${how.join(', ')})`;
}

/**
 * What goes wrong in a TLS handshake with Temporal, found by one of our own (node:tls, the same CA,
 * client certificate and server name): the SDK's errors only say the connection failed or closed.
 * Undefined when the handshake works (or TLS is off).
 */
export async function tlsHandshakeProblem(config: TemporalConfig): Promise<string | undefined> {
  if (!usesTls(config)) return undefined;
  const { hostname, port } = new URL(`tcp://${config.TEMPORAL_ADDRESS}`);
  const host = hostname.replace(/^\[|\]$/g, '');
  const { tls: options } = temporalConnectionOptions(config);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port: Number(port || 7233),
      servername: options?.serverNameOverride ?? (isIP(host) ? undefined : host),
      ...(options?.serverRootCACertificate ? { ca: Buffer.from(options.serverRootCACertificate) } : {}),
      ...(options?.clientCertPair ? { cert: Buffer.from(options.clientCertPair.crt), key: Buffer.from(options.clientCertPair.key) } : {}),
      ALPNProtocols: ['h2'],
    });
    let timer: NodeJS.Timeout | undefined;
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    timer = setTimeout(() => done(undefined), 5_000);
    // With TLS 1.3 a server refusing our client certificate says so just after the handshake.
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(undefined), 1_000);
    });
    socket.once('error', (err) => done(err.message));
  });
}

/** Why connecting failed, with the settings to look at: what a person reads when Temporal refuses us. */
export async function explainConnectFailure(config: TemporalConfig, err: unknown): Promise<string> {
  const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const where = `cannot connect to Temporal at ${describeTemporal(config)}`;
  const handshake = await tlsHandshakeProblem(config).catch(() => undefined);
  if (handshake && /alert|certificate required/i.test(handshake)) {
    return `${where}: the server refused the TLS handshake (${handshake}); it wants a client certificate its CA signed: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`;
  }
  if (handshake) {
    return `${where}: the server's TLS certificate is not trusted (${handshake}); set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it, or TEMPORAL_TLS_SERVER_NAME to the name it carries`;
  }
  if (/unauthenticated|permission|authoriz|api key/i.test(reason ?? ''))
    return `${where}: ${reason}; check TEMPORAL_API_KEY or the client certificate`;
  return `${where}: ${reason}; check TEMPORAL_ADDRESS, that the Temporal server is running, and TEMPORAL_TLS (true when it expects TLS)`;
}
