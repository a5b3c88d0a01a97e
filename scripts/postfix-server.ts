/**
 * A throwaway Postfix (Debian's `postfix` package), the real MTA the bench checks the pace against:
 * its own configuration and queue in a temporary folder, listening on 127.0.0.1:<port>, limiting each
 * client to `messages` per `seconds` across all its connections (anvil's
 * smtpd_client_message_rate_limit, the window starting at the client's first message), and relaying
 * what it accepts to another SMTP server (the sandbox, with its login) so messages can be counted there.
 * Postfix's master process starts as root only (it then runs as the `postfix` user).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostfixOptions {
  port: number;
  /** At most `messages` per `seconds` per client; over it Postfix answers "450 4.7.1 Error: too much mail from …". */
  rate: { messages: number; seconds: number };
  relay: { host: string; port: number; user: string; password: string };
}

export interface PostfixServer {
  port: number;
  /** Postfix's own log (each refusal, each relay). */
  logFile: string;
  stop: () => void;
}

export const POSTFIX_MISSING =
  "Postfix is not installed or cannot start here: it needs Debian's postfix package (apt-get install postfix) and root (its master process starts as root)";

export function postfixUsable(): boolean {
  return process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v postfix && command -v postconf'], { stdio: 'ignore' }).status === 0;
}

export async function startPostfix(options: PostfixOptions): Promise<PostfixServer> {
  if (!postfixUsable()) throw new Error(POSTFIX_MISSING);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-postfix-'));
  // Postfix's processes run as `postfix`: they must reach the folder; its data folder is theirs.
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc');
  const data = path.join(dir, 'data');
  for (const d of [etc, path.join(dir, 'queue'), data]) fs.mkdirSync(d);
  execFileSync('chown', ['postfix', data]);
  fs.copyFileSync('/etc/postfix/master.cf', path.join(etc, 'master.cf'));
  const logFile = path.join(dir, 'maillog');
  const { relay, rate } = options;
  const settings = {
    compatibility_level: '3.6',
    queue_directory: path.join(dir, 'queue'),
    data_directory: data,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    myhostname: 'postfix.bench.test',
    mydestination: '',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject',
    // The limit under test, for every client: by default Postfix exempts its own networks.
    smtpd_client_message_rate_limit: String(rate.messages),
    anvil_rate_time_unit: `${rate.seconds}s`,
    smtpd_client_event_limit_exceptions: '',
    smtpd_tls_security_level: 'none',
    relayhost: `[${relay.host}]:${relay.port}`,
    smtp_tls_security_level: 'none',
    smtp_sasl_auth_enable: 'yes',
    smtp_sasl_password_maps: `static:${relay.user}:${relay.password}`,
    // The sandbox offers no TLS: its login goes in plain text, on this machine only.
    smtp_sasl_security_options: 'noanonymous',
    smtp_host_lookup: 'native',
    smtp_dns_support_level: 'disabled',
    maillog_file: logFile,
    maillog_file_prefixes: os.tmpdir(),
  };
  fs.writeFileSync(
    path.join(etc, 'main.cf'),
    `${Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`,
  );
  const postconf = (...args: string[]) => execFileSync('postconf', ['-c', etc, ...args], { stdio: 'pipe' });
  postconf('-X', '-M', 'smtp/inet');
  postconf('-M', `127.0.0.1:${options.port}/inet = 127.0.0.1:${options.port} inet n - n - - smtpd`);
  postconf('-F', '*/*/chroot = n');
  const postfix = (command: string) => execFileSync('postfix', ['-c', etc, command], { stdio: 'pipe' });
  try {
    postfix('start');
  } catch (err) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`Postfix did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`);
  }
  // `postfix start` returns once its master runs; its smtpd listens a moment later.
  for (let waited = 0; !(await answers(options.port)); waited += 100) {
    if (waited > 15_000) throw new Error(`Postfix started but does not answer on 127.0.0.1:${options.port}; see ${logFile}`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
  let stopped = false;
  return {
    port: options.port,
    logFile,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        postfix('stop');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
