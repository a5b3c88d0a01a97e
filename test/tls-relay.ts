/**
 * SMTP relays with TLS certificates of their own, for tests: certificates made by openssl (one
 * self-signed, as Debian's snakeoil; a CA; a certificate for 127.0.0.1 that CA signed) and an
 * smtp-server offering STARTTLS with one of them, keeping the subject of each message it accepts.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Certificates {
  dir: string;
  /** SHA-256 fingerprints (`AB:CD:…`) of the self-signed and the CA-signed server certificates. */
  selfFingerprint: string;
  signedFingerprint: string;
  /** The CA's PEM. */
  caPem: string;
}

export function makeCertificates(): Certificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = ['-newkey', 'rsa:2048', '-nodes'];
  openssl('req', '-x509', ...newKey, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=relay.internal');
  openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Dripline Test CA');
  openssl('req', '-new', ...newKey, '-keyout', 'signed.key', '-out', 'signed.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'signed.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'signed.pem',
  );
  const fingerprint = (name: string) => new X509Certificate(fs.readFileSync(path.join(dir, name))).fingerprint256;
  return {
    dir,
    selfFingerprint: fingerprint('self.pem'),
    signedFingerprint: fingerprint('signed.pem'),
    caPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
  };
}

export interface Relay {
  port: number;
  /** The subject of each message accepted, in order. */
  subjects: string[];
  /** The recipients of each message accepted, in order. */
  recipients: string[];
  /** Connections opened to it (TLS handshakes that failed included). */
  connections: number;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 offering STARTTLS (or, `secure`, TLS from the first byte, as port 465)
 * with the self-signed or the CA-signed certificate; no login needed.
 */
export async function startRelay(certificates: Certificates, which: 'self' | 'signed', secure = false): Promise<Relay> {
  const subjects: string[] = [];
  const recipients: string[] = [];
  let connections = 0;
  const server = new SMTPServer({
    secure,
    key: fs.readFileSync(path.join(certificates.dir, `${which}.key`)),
    cert: fs.readFileSync(path.join(certificates.dir, `${which}.pem`)),
    authOptional: true,
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 200,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          subjects.push(parsed.subject ?? '');
          recipients.push(...session.envelope.rcptTo.map((r) => r.address));
          callback(null);
        },
        (err: Error) => callback(err),
      );
    },
  });
  // A client that hangs up mid-handshake (a refused certificate) is an error for smtp-server: expected here.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    subjects,
    recipients,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
