/** SMTP clients for tests against real SMTP servers: the product's transport settings, and a raw socket. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { transportOptions, type SmtpServerSettings } from '../server/smtp/transport';
import { localSmtpPolicy } from './helpers';

export const settings = (port: number, username = ''): SmtpServerSettings => ({
  host: '127.0.0.1',
  port,
  secure: false,
  requireTls: false,
  // Local test servers speak plain SMTP.
  allowPlainAuth: true,
  username,
  maxConnections: 4,
});

/** The product's pooled transport options, but one connection per message, so each reply reaches the caller. */
export function oneConnectionPerMessage(port: number, auth?: { user: string; pass: string }, extra: Partial<SMTPTransport.Options> = {}) {
  const {
    pool: _pool,
    maxConnections: _connections,
    maxMessages: _messages,
    ...single
  } = transportOptions(settings(port, auth?.user), auth?.pass ?? '', localSmtpPolicy);
  return nodemailer.createTransport({ ...single, ...extra });
}

type Sender = { sendMail: (m: SendMailOptions) => Promise<unknown> };
let sequence = 0;
/** Sends one message; resolves to its Message-ID and the error the client got (null when accepted). */
export async function send(transport: Sender, to = 'ann@example.test', from = 'news@example.test') {
  const messageId = `<fault-${process.pid}-${++sequence}@dripline.test>`;
  const err = await transport.sendMail({ from, to, subject: 'Hello', text: 'Hi', messageId }).then(
    () => null,
    (e: unknown) => e as { code?: string; command?: string; response?: string; responseCode?: number; message: string },
  );
  return { messageId, err };
}

/** A plain socket speaking SMTP, to see replies and the server closing exactly as they happen. */
export class RawSmtp {
  private buffer = '';
  private waiting: (() => void)[] = [];
  closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      for (const wake of this.waiting.splice(0)) wake();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiting.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawSmtp> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawSmtp(socket);
  }

  /** The next whole reply (its last line), or 'closed' when the server closed first. */
  async reply(): Promise<string> {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const last = lines.findIndex((line) => /^\d{3} /.test(line));
      if (last >= 0) {
        this.buffer = lines.slice(last + 1).join('\r\n');
        return lines[last]!;
      }
      if (this.closed) return 'closed';
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Resolves once the server has closed the connection. */
  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((wake) => this.waiting.push(wake));
  }

  end() {
    this.socket.destroy();
  }
}

/** A fresh self-signed certificate (as a new Postfix's snakeoil one) for an SMTP server's STARTTLS. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-tls-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mail.example.test', '-keyout', key, '-out', cert],
      {
        stdio: 'ignore',
      },
    );
    return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
