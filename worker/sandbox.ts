// Runs the sandbox SMTP server on SANDBOX_SMTP_BIND:SANDBOX_SMTP_PORT, storing into its own database
// (data/sandbox.db): like an external SMTP server, it never waits for the app database's write lock.
import { readConfig } from '../server/config';
import { openSandboxDatabase } from '../server/db';
import { groupedSandboxInserts } from '../server/db/sandbox';
import { describeFaults } from '../server/sandbox-faults';
import { startSandboxSmtp } from '../server/sandbox-smtp';
import { sandboxSmtpLogin } from '../server/secrets';

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
console.log(`listening on ${config.SANDBOX_SMTP_BIND}:${smtp.port}; faults (SANDBOX_FAULTS): ${describeFaults(config.SANDBOX_FAULTS)}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void smtp
      .close()
      .then(() => db.destroy())
      .then(() => process.exit(0));
  });
}
