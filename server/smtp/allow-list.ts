/**
 * Which SMTP servers inside the network Dripline may connect to anyway: DRIPLINE_SMTP_ALLOWED_HOSTS (an
 * admin's list of internal relays) plus the bundled sandbox. Everything else must resolve to public
 * unicast addresses (server/smtp/outbound.ts). Address ranges are classified by ipaddr.js.
 */
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** One allowed target: a host name (every address it resolves to), or an address range; on one port, the SMTP ports, or every port. */
export interface AllowedTarget {
  /** As written, for messages. */
  text: string;
  name?: string;
  range?: [IpAddress, number];
  /** One port; '*' every port (written `host:*`); unset, the SMTP ports only (SMTP_PORTS). */
  port?: number | '*';
}

/** The ports an entry without a port allows: SMTP (25), submission over TLS (465), submission (587) and the common alternative 2525. */
export const SMTP_PORTS: readonly number[] = [25, 465, 587, 2525];

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A host name as compared: lower case, without brackets (IPv6) or a trailing dot. */
export const normalHost = (host: string) =>
  host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();

/** An address as classified: an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries. */
export const parseAddress = (address: string): IpAddress => ipaddr.process(address);

/**
 * Parses one item: `host`, `host:port`, `host:*`, `10.0.0.5`, `10.0.0.0/8`, `10.0.0.5:2525`, `fd00::/8`,
 * `[fd00::25]:2525`. Without a port an entry allows the SMTP ports only, so an allowed relay's network
 * does not open its other services (a database, an admin page) to Test connection; `:*` allows every
 * port, on purpose. Throws an Error that says how to write it.
 */
export function parseAllowedTarget(item: string): AllowedTarget {
  const text = item.trim();
  const fail = () =>
    new Error(
      `"${text}" is not a host name, IP address or CIDR range (optionally with :port, or :* for every port), e.g. relay.internal, relay.internal:25, 10.0.0.5, 10.0.0.0/8 or [fd00::25]:2525`,
    );
  let target = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+|\*))?$/.exec(text);
  if (bracketed) {
    target = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [target = '', portText] = text.split(':');
  }
  let port: number | '*' | undefined;
  if (portText === '*') port = '*';
  else if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw fail();
  }
  const withPort = port === undefined ? {} : { port };
  if (ipaddr.isValidCIDR(target)) {
    const [address, bits] = ipaddr.parseCIDR(target);
    return { text, range: [address, bits], ...withPort };
  }
  if (ipaddr.isValid(target)) {
    const address = parseAddress(target);
    return { text, range: [address, address.kind() === 'ipv4' ? 32 : 128], ...withPort };
  }
  const name = normalHost(target);
  if (!HOST_NAME.test(name)) throw fail();
  return { text, name, ...withPort };
}

/** A comma- or space-separated list; each bad item is an error naming it. */
export function parseAllowList(spec: string): { targets: AllowedTarget[]; errors: string[] } {
  const targets: AllowedTarget[] = [];
  const errors: string[] = [];
  for (const item of spec.split(/[\s,]+/).filter(Boolean)) {
    try {
      targets.push(parseAllowedTarget(item));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { targets, errors };
}

const portMatches = (t: AllowedTarget, port: number) => (t.port === undefined ? SMTP_PORTS.includes(port) : t.port === '*' || t.port === port);

/** The host name itself is allowed (then so is every address it resolves to). */
export const allowsName = (targets: readonly AllowedTarget[], host: string, port: number) =>
  targets.some((t) => t.name !== undefined && t.name === normalHost(host) && portMatches(t, port));

/** The address is in an allowed range. */
export function allowsAddress(targets: readonly AllowedTarget[], address: IpAddress, port: number): boolean {
  return targets.some((t) => {
    if (!t.range || !portMatches(t, port)) return false;
    const [base] = t.range;
    if (base.kind() !== address.kind()) return false;
    return address.kind() === 'ipv4'
      ? (address as ipaddr.IPv4).match(t.range as [ipaddr.IPv4, number])
      : (address as ipaddr.IPv6).match(t.range as [ipaddr.IPv6, number]);
  });
}

/** What a refused range is, in words. Only `unicast` (public) addresses pass without an allow-list entry. */
export function describeRange(range: string): string {
  switch (range) {
    case 'loopback':
      return 'loopback (this machine)';
    case 'private':
    case 'uniqueLocal':
      return 'private-network';
    case 'carrierGradeNat':
      return 'shared (carrier-grade NAT)';
    case 'linkLocal':
      return 'link-local (cloud metadata lives here)';
    case 'multicast':
    case 'broadcast':
      return 'multicast or broadcast';
    case 'unspecified':
      return 'unspecified (0.0.0.0 or ::)';
    default:
      return `reserved (${range})`;
  }
}

/** An allowed target as it crosses to a thread (server/smtp/send-thread.ts): the range's address as text. */
export type WireTarget = Omit<AllowedTarget, 'range'> & { range?: [string, number] };

export const toWire = (targets: readonly AllowedTarget[]): WireTarget[] =>
  targets.map(({ range, ...t }) => (range ? { ...t, range: [range[0].toString(), range[1]] } : t));

export const fromWire = (targets: readonly WireTarget[]): AllowedTarget[] =>
  targets.map(({ range, ...t }) => (range ? { ...t, range: [ipaddr.parse(range[0]), range[1]] } : t));
