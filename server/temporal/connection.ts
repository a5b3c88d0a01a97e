/**
 * How every process reaches Temporal (the worker's NativeConnection, the web app's, `npm start`'s and
 * the bench's client Connection): the address and namespace, and for a secured cluster TLS (a private
 * CA, a client certificate for mTLS, a server name) or Temporal Cloud's API key, from the environment
 * variables the temporal CLI reads too (server/config.ts).
 */
import fs from 'node:fs';
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
