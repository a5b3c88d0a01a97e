// Runs the sandbox SMTP server on SANDBOX_SMTP_BIND:SANDBOX_SMTP_PORT, storing into its own database
// (data/sandbox.db): like an external SMTP server, it never waits for the app database's write lock.
import { readConfig } from '../server/config';
import { log as rootLog } from '../server/log';
import { openSandboxDatabase } from '../server/db';
import { groupedSandboxInserts, pruneSandbox } from '../server/db/sandbox';
import { describeFaults } from '../server/sandbox-faults';
import { startSandboxSmtp } from '../server/sandbox-smtp';
import { sandboxSmtpLogin } from '../server/secrets';

const log = rootLog.child({ service: 'sandbox-smtp' });
const config = readConfig();
const db = await openSandboxDatabase(config.sandboxDatabaseFile);
const smtp = await startSandboxSmtp({
  port: config.SANDBOX_SMTP_PORT,
  host: config.SANDBOX_SMTP_BIND,
  // Only the Sandbox profile's login (SANDBOX_SMTP_LOGIN, or derived from the secret key) may hand it mail.
  login: sandboxSmtpLogin(config),
  maxMessageBytes: config.SANDBOX_SMTP_MAX_MB * 1024 * 1024,
  onMessage: groupedSandboxInserts(db),
  faults: config.SANDBOX_FAULTS,
});
log.info(`listening on ${config.SANDBOX_SMTP_BIND}:${smtp.port}; faults (SANDBOX_FAULTS): ${describeFaults(config.SANDBOX_FAULTS)}`);
// The mailbox keeps the newest messages within SANDBOX_KEEP_* (10,000, 7 days, 500 MB): pruned now and every minute.
const limits = { messages: config.SANDBOX_KEEP_MESSAGES, days: config.SANDBOX_KEEP_DAYS, bytes: config.SANDBOX_KEEP_MB * 1024 * 1024 };
const prune = () => pruneSandbox(db, limits).catch((err: unknown) => log.error({ err }, 'pruning the mailbox failed'));
await prune();
const pruning = setInterval(prune, 60_000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(pruning);
    void smtp
      .close()
      .then(() => db.destroy())
      .then(() => process.exit(0));
  });
}
