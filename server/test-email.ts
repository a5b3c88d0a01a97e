/**
 * "Send test email": one message with a saved profile, metered like any send. It is noted as a direct
 * send of its user, claimed in the send ledger, takes a slot of the profile's throttle (pace and daily
 * cap, shared with campaigns), and its attempt goes to the delivery log with the server's reply. It is
 * not retried: the person who pressed the button reads the outcome at once.
 */
import { decryptSecret, type Keyring } from './crypto';
import { newId, type Db } from './db';
import { insertDirectSend, listTestSends, type TestSend } from './db/ownership';
import { canManage, profileFor, type Actor } from './profiles';
import * as say from './sending/messages';
import { sendInteractive } from './sending/single';
import type { SmtpFailure } from './smtp/advice';
import { messageIdFor } from './smtp/message';
import type { OutboundPolicy } from './smtp/outbound';
import { InProcessSender } from './smtp/smtp-wire';
import { TransportPool } from './smtp/transport-pool';

export interface TestEmailResult {
  ok: boolean;
  /** On failure, its class (server/smtp/advice.ts). */
  failure?: SmtpFailure;
  message: string;
}

/**
 * The pooled transports of this process's test emails, one per keyring and outbound policy (the web
 * app holds one of each): the first test email opens the profile's pool, later ones reuse it.
 */
const pools = new WeakMap<Keyring, WeakMap<OutboundPolicy, TransportPool>>();
function poolFor(keyring: Keyring, policy: OutboundPolicy): TransportPool {
  const byPolicy = pools.get(keyring) ?? new WeakMap<OutboundPolicy, TransportPool>();
  pools.set(keyring, byPolicy);
  const pool =
    byPolicy.get(policy) ??
    new TransportPool((enc, profileId) => decryptSecret(keyring, enc, profileId), policy, { sender: (onSockets) => new InProcessSender(onSockets) });
  byPolicy.set(policy, pool);
  return pool;
}

export async function sendTestEmail(
  db: Db,
  keyring: Keyring,
  policy: OutboundPolicy,
  messageIdSecret: Buffer,
  actor: Actor,
  profileId: string,
  to: string,
  /** What to send instead of the standard test message (a flow's preview, rendered). */
  content?: { subject: string; text: string; html?: string; replyTo?: string; toName?: string; headers?: Record<string, string> },
): Promise<TestEmailResult> {
  const profile = await profileFor(db, actor, profileId);
  // Only who manages a profile sees its user name (for Postmark, the secret token): never in an answer to others.
  const shown = (text: string) => (canManage(actor, profile) || !profile.username ? text : text.replaceAll(profile.username, '[user]'));
  if (profile.failingSince) return { ok: false, message: shown(say.test.paused(profile, profile.failingReason)) };
  const runId = newId('test');
  const key = { runId, nodeId: 'test', contactId: '' };
  await insertDirectSend(db, { id: runId, kind: 'test', contactId: null, recipient: to, profileId, sentBy: actor.id });
  const messageId = messageIdFor(messageIdSecret, key, profile.fromEmail);
  const mail = {
    from: { name: profile.fromName, address: profile.fromEmail },
    to: content?.toName ? { name: content.toName, address: to } : to,
    ...(content?.replyTo || profile.replyTo ? { replyTo: content?.replyTo || profile.replyTo } : {}),
    subject: content?.subject ?? say.test.subject(profile),
    text: content?.text ?? say.test.text(profile),
    ...(content?.html ? { html: content.html } : {}),
    ...(content?.headers ? { headers: content.headers } : {}),
    messageId,
  };
  const result = await sendInteractive({ db, transports: poolFor(keyring, policy) }, { key, profile, mail, messageId, to }, shown);
  return { ok: result.ok, ...(result.failure ? { failure: result.failure } : {}), message: shown(result.message) };
}

/** The profile's latest test emails: all of them for those who manage it, one's own for the others. */
export async function testEmailsFor(db: Db, actor: Actor, profileId: string): Promise<TestSend[]> {
  const profile = await profileFor(db, actor, profileId);
  return listTestSends(db, profileId, canManage(actor, profile) ? {} : { sentBy: actor.id });
}
