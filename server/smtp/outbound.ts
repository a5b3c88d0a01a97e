/**
 * The outbound guard: every connection to a profile's SMTP server (sends, Test connection, test emails)
 * resolves the host, refuses loopback, private, shared, link-local (cloud metadata), multicast,
 * unspecified and reserved addresses (IPv4 and IPv6, IPv4-mapped included) unless an admin allowed
 * them (DRIPLINE_SMTP_ALLOWED_HOSTS, and the bundled sandbox), then opens the TCP connection to an
 * address it checked. nodemailer gets that socket through its `getSocket` hook and keeps the host
 * *name* for TLS (SNI and the certificate check), so a DNS answer that changes between the check and
 * the connection (rebinding) cannot send it anywhere else.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config';
import { type AllowedTarget, allowsAddress, allowsName, describeRange, normalHost, parseAddress, parseAllowedTarget } from './allow-list';

export interface OutboundPolicy {
  allowed: readonly AllowedTarget[];
  /** How host names are resolved (the system resolver unless a test says otherwise). */
  lookup?: Lookup;
}

/** The product's policy: the admin's allow-list, plus the bundled sandbox (its host, on its port only). */
export function smtpOutboundPolicy(config: Pick<Config, 'DRIPLINE_SMTP_ALLOWED_HOSTS' | 'SANDBOX_SMTP_HOST' | 'SANDBOX_SMTP_PORT'>): OutboundPolicy {
  const sandbox = parseAllowedTarget(config.SANDBOX_SMTP_HOST);
  return { allowed: [...config.DRIPLINE_SMTP_ALLOWED_HOSTS, { ...sandbox, text: 'the sandbox', port: config.SANDBOX_SMTP_PORT }] };
}

/** Refused by the guard: nodemailer-style code `EOUTBOUND`; classified as a configuration error. */
export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
  readonly code = 'EOUTBOUND';
  constructor(
    readonly host: string,
    readonly range: string,
  ) {
    super(
      `${host} resolves to a ${describeRange(range)} address, and Dripline connects only to public SMTP servers. ` +
        'An admin can allow an internal relay with DRIPLINE_SMTP_ALLOWED_HOSTS (an entry without :port allows the SMTP ports 25, 465, 587 and 2525 only).',
    );
  }
}

/** nodemailer-style errors for what happens before an SMTP conversation: never "outcome unknown". */
const connectError = (code: 'EDNS' | 'ECONNECTION', message: string) => Object.assign(new Error(message), { code, beforeSmtp: true });

export type Lookup = (host: string) => Promise<string[]>;
const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The addresses Dripline may connect to for this host and port, all checked; throws OutboundRefusedError
 * when any of them is internal and not allowed (a name that answers with one internal address is refused
 * whole, so a round-robin cannot slip one in), or an EDNS error when the name does not resolve.
 */
export async function checkedAddresses(
  policy: OutboundPolicy,
  host: string,
  port: number,
  lookup: Lookup = policy.lookup ?? systemLookup,
): Promise<string[]> {
  const name = normalHost(host);
  let addresses: string[];
  if (ipaddr.isValid(name)) addresses = [parseAddress(name).toString()];
  else {
    try {
      addresses = await lookup(name);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ENOTFOUND';
      throw connectError('EDNS', `getaddrinfo ${code} ${name}`);
    }
  }
  if (addresses.length === 0) throw connectError('EDNS', `getaddrinfo ENOTFOUND ${name}`);
  const nameAllowed = allowsName(policy.allowed, name, port);
  return addresses.map((a) => {
    const address = parseAddress(a);
    if (!nameAllowed && !allowsAddress(policy.allowed, address, port) && address.range() !== 'unicast') {
      throw new OutboundRefusedError(name, address.range());
    }
    return address.toString();
  });
}

function connectTo(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(connectError('ECONNECTION', 'Could not connect: connect ETIMEDOUT'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: Error & { code?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      reject(connectError('ECONNECTION', `Could not connect: connect ${err.code ?? err.message}`));
    });
  });
}

/** Connects to the first checked address that answers (each tried in turn), within `timeoutMs` in all. */
export async function connectChecked(policy: OutboundPolicy, host: string, port: number, timeoutMs: number, lookup?: Lookup): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  const addresses = await checkedAddresses(policy, host, port, lookup);
  let last: unknown;
  for (const address of addresses) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await connectTo(address, port, left);
    } catch (err) {
      last = err;
    }
  }
  throw last ?? connectError('ECONNECTION', 'Could not connect: connect ETIMEDOUT');
}

interface SocketRequest {
  host?: string;
  port?: number | string;
  connectionTimeout?: number;
}

/**
 * nodemailer's `getSocket` hook: each new connection of a transport (pooled or not) is opened here, to a
 * checked address. nodemailer then speaks SMTP on it, and for SSL or STARTTLS verifies the server's
 * certificate against the host name it was given, not the address.
 */
export type GetSocket = (
  options: SocketRequest,
  /** `tls`, when given, replaces the transport's TLS options for this connection (a pinned certificate, tls-trust.ts). */
  callback: (err: Error | null, socketOptions?: { connection: net.Socket; tls?: ConnectionOptions }) => void,
) => void;

export function guardedSocket(policy: OutboundPolicy, lookup?: Lookup): GetSocket {
  return (options, callback) => {
    connectChecked(policy, options.host ?? '', Number(options.port ?? 25), options.connectionTimeout ?? 15_000, lookup ?? policy.lookup).then(
      (connection) => callback(null, { connection }),
      (err: Error) => callback(err),
    );
  };
}
