/**
 * Trusting an internal relay's certificate, per profile: real SMTP servers offering STARTTLS with
 * certificates made here by openssl (one self-signed, one signed by a CA of our own). Refused
 * certificates are shown by their fingerprint; a pin or a CA makes them send; only admins set trust.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpProfileInput } from '../domain/smtp-profile';
import type { AppUser } from '../server/auth';
import { makeKeyring } from '../server/crypto';
import type { Db } from '../server/db';
import { createProfile, profileFor, testConnection, updateProfile } from '../server/profiles';
import type { StoredSmtpProfile } from '../server/db/smtp-profiles';
import { type SmtpServerSettings, transportOptions } from '../server/smtp/transport';
import { threadedTransports } from '../server/smtp/send-thread';
import { installWithUsers, localSmtpPolicy } from './helpers';
import { type Certificates, makeCertificates, type Relay, startRelay } from './tls-relay';

let db: Db;
const keyring = makeKeyring(randomBytes(32));
const users: Record<'admin' | 'agent', AppUser> = {} as never;
let self: Relay;
let signed: Relay;
let certificates: Certificates;
let selfFingerprint = '';
let signedFingerprint = '';
let caPem = '';

beforeAll(async () => {
  certificates = makeCertificates();
  ({ selfFingerprint, signedFingerprint, caPem } = certificates);
  [self, signed] = await Promise.all([startRelay(certificates, 'self'), startRelay(certificates, 'signed')]);
  const install = await installWithUsers([
    ['admin', 'admin'],
    ['agent', 'agent'],
  ]);
  db = install.db;
  Object.assign(users, install.users);
});
afterAll(async () => {
  await Promise.all([self?.close(), signed?.close()]);
  fs.rmSync(certificates.dir, { recursive: true, force: true });
});

const form = (port: number, over: Record<string, unknown> = {}) =>
  SmtpProfileInput.parse({ name: 'Internal relay', host: '127.0.0.1', port, requireTls: true, fromEmail: 'news@example.test', ...over });

/** One message through the product's transport options (as sends and test emails use them). */
async function sendOne(settings: SmtpServerSettings, subject: string) {
  const transport = nodemailer.createTransport(transportOptions(settings, '', localSmtpPolicy));
  try {
    await transport.sendMail({ from: 'news@example.test', to: 'ann@example.test', subject, text: 'Hi' });
  } finally {
    transport.close();
  }
}

const campaignMail = (subject: string) => ({ from: 'news@example.test', to: 'ann@example.test', subject, text: 'Hi' });

describe('a relay with a self-signed certificate', () => {
  it('is refused, and Test connection shows its fingerprint, subject and issuer with what to do', async () => {
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, form(self.port));
    expect(answer.ok).toBe(false);
    expect(answer).toMatchObject({ failure: 'tls' });
    expect(answer.message).toMatch(/self-signed/);
    expect(answer.message).toContain(selfFingerprint);
    expect(answer.message).toContain('CN=relay.internal');
    expect(answer.message).toMatch(/an admin can pin this fingerprint or paste its CA/);
    await expect(sendOne(form(self.port), 'not trusted')).rejects.toThrow(/self[- ]signed/);
    expect(self.subjects).toEqual([]);
  });

  it('connects and sends once its fingerprint is pinned (typed as plain lower-case hex)', async () => {
    const pin = selfFingerprint.replaceAll(':', '').toLowerCase();
    const pinned = form(self.port, { tlsPin: pin });
    expect(pinned.tlsPin).toBe(selfFingerprint);
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, pinned);
    expect(answer).toMatchObject({ ok: true });
    await sendOne(pinned, 'pinned');
    expect(self.subjects).toEqual(['pinned']);
  });

  it('sends with the pin over SSL from the first byte too (port 465 style)', async () => {
    const implicit = await startRelay(certificates, 'self', true);
    try {
      const pinned = form(implicit.port, { secure: true, requireTls: false, tlsPin: selfFingerprint });
      expect(await testConnection(db, keyring, localSmtpPolicy, users.admin, pinned)).toMatchObject({ ok: true });
      await sendOne(pinned, 'pinned over SSL');
      expect(implicit.subjects).toEqual(['pinned over SSL']);
      const unpinned = await testConnection(db, keyring, localSmtpPolicy, users.admin, { ...pinned, tlsPin: '' });
      expect(unpinned).toMatchObject({ ok: false, failure: 'tls' });
      expect(unpinned.message).toContain(selfFingerprint);
    } finally {
      await implicit.close();
    }
  });

  it('is refused with a pin of another certificate, naming both fingerprints', async () => {
    const wrong = form(self.port, { tlsPin: signedFingerprint });
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, wrong);
    expect(answer).toMatchObject({ ok: false, failure: 'tls' });
    expect(answer.message).toMatch(/not the one pinned/);
    expect(answer.message).toContain(selfFingerprint);
    await expect(sendOne(wrong, 'wrong pin')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_PIN_MISMATCH' });
    expect(self.subjects).toEqual(['pinned']);
  });

  it('a pin trusts the pinned certificate alone: another relay, whatever its chain, is refused', async () => {
    const elsewhere = form(signed.port, { tlsPin: selfFingerprint });
    await expect(sendOne(elsewhere, 'pin elsewhere')).rejects.toThrow();
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, elsewhere);
    expect(answer).toMatchObject({ ok: false, failure: 'tls' });
    expect(answer.message).toMatch(/not the one pinned/);
    expect(answer.message).toContain(signedFingerprint);
    expect(signed.subjects).toEqual([]);
  });
});

describe('a relay whose certificate an internal CA signed', () => {
  it('is refused without the CA, and sends with its PEM in the profile', async () => {
    const refused = await testConnection(db, keyring, localSmtpPolicy, users.admin, form(signed.port));
    expect(refused).toMatchObject({ ok: false, failure: 'tls' });
    expect(refused.message).toContain(signedFingerprint);
    expect(refused.message).toContain('CN=Dripline Test CA');
    const trusted = form(signed.port, { tlsCa: caPem });
    expect(await testConnection(db, keyring, localSmtpPolicy, users.admin, trusted)).toMatchObject({ ok: true });
    await sendOne(trusted, 'with CA');
    expect(signed.subjects).toEqual(['with CA']);
  });

  it('the CA does not make a self-signed relay trusted', async () => {
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, form(self.port, { tlsCa: caPem }));
    expect(answer).toMatchObject({ ok: false, failure: 'tls' });
    expect(answer.message).toContain(selfFingerprint);
  });
});

describe('who may set TLS trust', () => {
  it('only an admin: an agent is refused naming the field, may keep what an admin set, and may clear it', async () => {
    await expect(createProfile(db, keyring, users.agent, form(self.port, { tlsPin: selfFingerprint }))).rejects.toMatchObject({
      status: 403,
      details: { field: 'tlsPin' },
      message: expect.stringMatching(/^tlsPin: only an admin/),
    });
    await expect(createProfile(db, keyring, users.agent, form(signed.port, { tlsCa: caPem }))).rejects.toMatchObject({
      status: 403,
      details: { field: 'tlsCa' },
    });
    await expect(testConnection(db, keyring, localSmtpPolicy, users.agent, form(self.port, { tlsPin: selfFingerprint }))).rejects.toMatchObject({
      status: 403,
    });
    const { id } = await createProfile(db, keyring, users.agent, form(self.port));
    await updateProfile(db, keyring, users.admin, id, form(self.port, { tlsPin: selfFingerprint }));
    expect((await profileFor(db, users.agent, id)).tlsPin).toBe(selfFingerprint);
    // The agent saves the form as an admin left it: kept.
    await updateProfile(db, keyring, users.agent, id, form(self.port, { tlsPin: selfFingerprint, name: 'Renamed' }));
    expect(await testConnection(db, keyring, localSmtpPolicy, users.agent, form(self.port, { tlsPin: selfFingerprint }), id)).toMatchObject({
      ok: true,
    });
    await expect(updateProfile(db, keyring, users.agent, id, form(self.port, { tlsPin: signedFingerprint }))).rejects.toMatchObject({ status: 403 });
    // Another server keeps no trust an admin gave this one.
    await expect(updateProfile(db, keyring, users.agent, id, form(signed.port, { tlsPin: selfFingerprint }))).rejects.toMatchObject({
      status: 403,
    });
    await updateProfile(db, keyring, users.agent, id, form(self.port));
    expect((await profileFor(db, users.agent, id)).tlsPin).toBe('');
  });

  it('a CA must be a certificate: the schema and the server name the field', async () => {
    const notPem = SmtpProfileInput.safeParse({ ...form(self.port), tlsCa: 'my CA' });
    expect(notPem.success).toBe(false);
    expect(notPem.error?.issues[0]).toMatchObject({ path: ['tlsCa'], message: expect.stringMatching(/PEM certificate/) });
    const garbled = form(self.port, { tlsCa: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' });
    await expect(createProfile(db, keyring, users.admin, garbled)).rejects.toMatchObject({ status: 422, details: { field: 'tlsCa' } });
    const badPin = SmtpProfileInput.safeParse({ ...form(self.port), tlsPin: 'AB:CD' });
    expect(badPin.error?.issues[0]).toMatchObject({ path: ['tlsPin'], message: expect.stringMatching(/64 hex digits/) });
    const both = SmtpProfileInput.safeParse({ ...form(self.port), tlsPin: selfFingerprint, tlsCa: caPem });
    expect(both.error?.issues[0]).toMatchObject({ path: ['tlsPin'], message: expect.stringMatching(/not both/) });
  });
});

describe('campaign sends (the pooled transports of the sending thread)', () => {
  it("send through a pinned relay, and through a relay signed by the profile's CA, and refuse without the trust", async () => {
    const stored = (id: string, port: number, trust: { tlsPin?: string; tlsCa?: string }) =>
      ({ ...form(port, trust), id, updatedAt: 'v1', passwordEnc: '' }) as unknown as StoredSmtpProfile;
    const pool = threadedTransports(() => '', localSmtpPolicy);
    try {
      await pool.get(stored('pinned', self.port, { tlsPin: selfFingerprint })).sendMail(campaignMail('campaign, pinned'));
      await pool.get(stored('ca', signed.port, { tlsCa: caPem })).sendMail(campaignMail('campaign, with CA'));
      await expect(pool.get(stored('none', self.port, {})).sendMail(campaignMail('campaign, untrusted'))).rejects.toThrow(/self[- ]signed/);
    } finally {
      pool.close();
    }
    expect(self.subjects).toContain('campaign, pinned');
    expect(self.subjects).not.toContain('campaign, untrusted');
    expect(signed.subjects).toContain('campaign, with CA');
  });
});
