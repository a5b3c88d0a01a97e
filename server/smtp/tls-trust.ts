/**
 * Trusting an internal SMTP server's certificate, per profile (set by an admin): a CA certificate
 * (the chain must lead to it, and the host name is still checked) or a pinned SHA-256 fingerprint of
 * the server's own certificate (that certificate, and only that one, is accepted, whoever signed it).
 * Also reads the certificate a server presents, to show it when it is refused (Test connection).
 *
 * How a pin works with Node's TLS, which has no verify callback: `checkServerIdentity` runs only once
 * the chain checked out, so the pinned certificate itself is made the only trusted CA (`ca`, with
 * `allowPartialTrustChain` for a leaf that is not self-signed) and `checkServerIdentity` compares the
 * leaf's fingerprint with the pin. `rejectUnauthorized` stays true. The certificate's PEM comes from a
 * first look at what the server presents (`presentedCertificate`), kept once its fingerprint matched.
 */
import net from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { SmtpProfile } from '../../domain/smtp-profile';
import { connectChecked, type GetSocket, type OutboundPolicy } from './outbound';

type Trust = Partial<Pick<SmtpProfile, 'tlsCa' | 'tlsPin'>>;

/** The certificate a server presented, as a person can compare it with what the server's admin sees. */
export interface PresentedCertificate {
  /** SHA-256, `AB:CD:…`: what a pin holds. */
  fingerprint256: string;
  subject: string;
  issuer: string;
  selfSigned: boolean;
  pem: string;
}

/** A certificate problem that Test connection explains with the certificate the server presented. */
export const isCertificateError = (err: unknown) => {
  const e = (err ?? {}) as { code?: string; message?: string };
  return (
    e.code === 'ERR_TLS_CERT_PIN_MISMATCH' ||
    e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
    /certificate|self[- ]signed|unable to verify|unable to get (local )?issuer/i.test(e.message ?? '')
  );
};

/** What a CA field must hold: a PEM certificate Node can read. Undefined when it is fine, else what is wrong. */
export function certificateProblem(pem: string): string | undefined {
  try {
    const ca = new X509Certificate(pem);
    return ca.ca || ca.checkIssued(ca) ? undefined : 'it is not a CA certificate (paste the CA that signed the server certificate)';
  } catch (err) {
    return `Node cannot read it as a certificate (${(err as Error).message})`;
  }
}

const oneLine = (name: string) => name.split('\n').join(', ');

function describe(der: Buffer): PresentedCertificate {
  const cert = new X509Certificate(der);
  return {
    fingerprint256: cert.fingerprint256,
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    selfSigned: cert.checkIssued(cert),
    pem: cert.toString(),
  };
}

/** Reads SMTP replies off a plain socket: each call resolves to the next complete reply (multi-line included). */
function replies(socket: net.Socket) {
  let buffer = '';
  const waiting: ((reply: string) => void)[] = [];
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (let end = buffer.search(/^\d{3} .*\r?\n/m); end >= 0 && waiting.length; end = buffer.search(/^\d{3} .*\r?\n/m)) {
      const stop = buffer.indexOf('\n', end) + 1;
      waiting.shift()?.(buffer.slice(0, stop));
      buffer = buffer.slice(stop);
    }
  };
  socket.on('data', onData);
  return {
    next: () =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        onData(Buffer.alloc(0));
      }),
    stop: () => socket.off('data', onData),
  };
}

/** Nothing was sent when a look at the certificate fails (`beforeSmtp`, as the outbound guard's errors). */
const probeError = (message: string) => Object.assign(new Error(message), { code: 'ETLS', beforeSmtp: true });

/**
 * The certificate `host:port` presents: SSL from the first byte when `secure`, else after EHLO and
 * STARTTLS. The connection is used for nothing else: it is not trusted, nothing is sent on it after
 * the handshake, and it is closed at once. Connects only where the outbound policy allows.
 */
export async function presentedCertificate(
  policy: OutboundPolicy,
  server: { host: string; port: number; secure: boolean },
  timeoutMs = 10_000,
): Promise<PresentedCertificate> {
  const socket = await connectChecked(policy, server.host, server.port, timeoutMs);
  const timer = setTimeout(
    () => socket.destroy(probeError(`no TLS certificate from ${server.host}:${server.port} within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    if (!server.secure) {
      const reader = replies(socket);
      const failed = new Promise<never>((_, reject) => socket.once('error', reject).once('close', () => reject(probeError('connection closed'))));
      failed.catch(() => {}); // raced below; an error after the handshake rejects it with no one waiting
      const step = async (line: string | undefined, expect: RegExp) => {
        if (line !== undefined) socket.write(`${line}\r\n`);
        const reply = await Promise.race([reader.next(), failed]);
        if (!expect.test(reply)) throw probeError(`${line ?? 'greeting'}: the server answered ${reply.slice(0, 3)}`);
        return reply;
      };
      await step(undefined, /^220/);
      const ehlo = await step('EHLO dripline.invalid', /^250/);
      if (!/^250[- ]STARTTLS\b/im.test(ehlo)) throw probeError('the server does not offer STARTTLS');
      await step('STARTTLS', /^220/);
      reader.stop();
      socket.removeAllListeners('close');
    }
    const secured = tls.connect({
      socket,
      ...(net.isIP(server.host) ? {} : { servername: server.host }),
      // Only to read the certificate for display: this connection carries nothing.
      rejectUnauthorized: false,
    });
    const der = await new Promise<Buffer>((resolve, reject) => {
      secured.once('secureConnect', () => resolve(secured.getPeerCertificate().raw));
      secured.once('error', reject);
      socket.once('error', reject);
    });
    secured.destroy();
    return describe(der);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** Refused, before any mail was sent: the server presented another certificate than the pinned one. */
export function pinMismatch(pin: string, presented: PresentedCertificate) {
  return Object.assign(new Error(`the server's certificate (SHA-256 ${presented.fingerprint256}) is not the pinned certificate (SHA-256 ${pin})`), {
    code: 'ERR_TLS_CERT_PIN_MISMATCH',
    presented,
    beforeSmtp: true,
  });
}

/** The TLS options for a profile: the usual check, or its CA (host name still checked), or its pin. */
export function trustOptions(trust: Trust, pinnedPem?: string): ConnectionOptions {
  if (trust.tlsPin) {
    const pin = trust.tlsPin;
    return {
      rejectUnauthorized: true,
      // Without the pinned certificate's PEM (not read yet) nothing is trusted: no connection.
      ca: pinnedPem ? [pinnedPem] : [],
      allowPartialTrustChain: true,
      checkServerIdentity: (_host, cert) => (cert.fingerprint256 === pin ? undefined : pinMismatch(pin, describe(cert.raw))),
    };
  }
  return trust.tlsCa ? { rejectUnauthorized: true, ca: [trust.tlsCa] } : { rejectUnauthorized: true };
}

/** The PEM of each pinned certificate once seen: the pin (a SHA-256) decides which certificate it is. */
const pinnedPems = new Map<string, string>();

/**
 * A getSocket hook for a pinned profile: the first connection looks at the certificate the server
 * presents and goes on only when its fingerprint is the pin; every connection then trusts that
 * certificate alone (trustOptions). Without a pin, `getSocket` as it is.
 */
export function pinning(trust: Trust, policy: OutboundPolicy, getSocket: GetSocket): GetSocket {
  const pin = trust.tlsPin;
  if (!pin) return getSocket;
  return (options, callback) => {
    const request = options as typeof options & { secure?: boolean };
    const known = pinnedPems.get(pin);
    const pem = known
      ? Promise.resolve(known)
      : presentedCertificate(policy, { host: request.host ?? '', port: Number(request.port ?? 25), secure: request.secure === true }).then((c) => {
          if (c.fingerprint256 !== pin) throw pinMismatch(pin, c);
          pinnedPems.set(pin, c.pem);
          return c.pem;
        });
    pem.then(
      (trusted) =>
        getSocket(options, (err, socketOptions) => callback(err, socketOptions && { ...socketOptions, tls: trustOptions(trust, trusted) })),
      (err: Error) => callback(err),
    );
  };
}
