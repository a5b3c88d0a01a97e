import { sampleFlow } from '../domain/flow/sample';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { GUARD_DEFAULTS, NO_MORE_LIMITS } from '../domain/smtp-profile';
import type { Config } from './config';
import { encryptSecret } from './crypto';
import type { Db } from './db';
import { hasAnyContact, insertContacts } from './db/contacts';
import { hasAnyFlow, saveFlowDraft } from './db/flows';
import { SANDBOX_DAILY_CAP, SANDBOX_RATE_PER_SECOND } from './db/migrations-owners';
import { upsertBuiltInProfile } from './db/smtp-profiles';
import { loadKeyring, sandboxSmtpLogin } from './secrets';

export const SAMPLE_FLOW_ID = 'welcome';
/** The three contacts an empty install gets to try the sample flow on. */
export const SAMPLE_CONTACT_IDS = ['ct_ada', 'ct_grace', 'ct_linus'] as const;

/**
 * Embedded defaults: the Sandbox SMTP profile (kept pointing at the configured sandbox server, with
 * the login it requires; it offers no TLS, so the profile may log in without it),
 * and on an empty install the sample flow and three contacts to try it on.
 */
export async function seed(db: Db, config: Config): Promise<void> {
  const login = sandboxSmtpLogin(config);
  await upsertBuiltInProfile(db, {
    id: SANDBOX_PROFILE_ID,
    installDefault: true,
    name: 'Sandbox',
    description: 'The bundled SMTP server: keeps every message and shows it under Sandbox mailbox. Nothing leaves this machine.',
    host: config.SANDBOX_SMTP_HOST,
    port: config.SANDBOX_SMTP_PORT,
    secure: false,
    requireTls: false,
    allowPlainAuth: true,
    tlsCa: '',
    tlsPin: '',
    username: login.user,
    passwordEnc: encryptSecret(loadKeyring(config), login.password, SANDBOX_PROFILE_ID),
    fromEmail: 'hello@dripline.test',
    fromName: 'Dripline Sandbox',
    replyTo: 'support@dripline.test',
    unsubscribeMailbox: '',
    // A pace and a daily cap like a real server's, so a runaway flow cannot flood the mailbox; admins may change them.
    ratePerSecond: SANDBOX_RATE_PER_SECOND,
    maxConnections: 5,
    dailyCap: SANDBOX_DAILY_CAP,
    uncertainPolicy: 'resend',
    retryForHours: 72,
    ...GUARD_DEFAULTS,
    ...NO_MORE_LIMITS,
  });
  if (!(await hasAnyFlow(db))) await saveFlowDraft(db, { id: SAMPLE_FLOW_ID, name: 'Welcome series', graph: sampleFlow(SANDBOX_PROFILE_ID) });
  if (!(await hasAnyContact(db))) {
    await insertContacts(db, [
      { id: 'ct_ada', email: 'ada@example.test', name: 'Ada Lovelace' },
      { id: 'ct_grace', email: 'grace@example.test', name: 'Grace Hopper' },
      { id: 'ct_linus', email: 'linus@example.test', name: 'Linus Torvalds' },
    ]);
  }
}
