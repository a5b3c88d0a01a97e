/**
 * A Send node with an MJML body, published (MJML compiled, templates checked against the contacts'
 * attributes), then sent by the sendEmail activity to a real SMTP server: the message is multipart
 * with the rendered HTML (values escaped, preheader hidden first), the generated text part and the
 * node's reply-to. And what publishing refuses, or only warns about.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendEmail, type SendEmailResult } from '../activities/send-email';
import type { FlowGraph } from '../domain/flow/schema';
import type { SendEmailData } from '../domain/flow/nodes/send-email';
import { saveDraftAs } from '../server/access';
import type { Db } from '../server/db';
import { defineAttributes, insertContacts } from '../server/db/contacts';
import { getFlowVersion } from '../server/db/flows';
import { insertSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { makeKeyring } from '../server/crypto';
import { sendPreviewToSandbox } from '../server/preview';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { sendOneOff } from '../server/one-off';
import { threadedTransports } from '../server/smtp/send-thread';
import { localSmtpPolicy, localSmtpServer, profileInput, tempInstall } from './helpers';

const admin = { id: 'admin-1', role: 'admin' as const };
let db: Db;
let config: Awaited<ReturnType<typeof tempInstall>>['config'];
let closeServer: (() => Promise<void>) | undefined;
let port = 0;
const received: Buffer[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  ({ db, config } = await tempInstall());
  ({ port, close: closeServer } = await localSmtpServer({
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        callback(null, 'OK kept');
      });
    },
  }));
  await insertSmtpProfile(db, profileInput({ name: 'html', port, fromEmail: 'news@acme.test', fromName: 'Acme', replyTo: 'desk@acme.test' }), {
    id: 'html',
    passwordEnc: '',
    ownerId: null,
  });
  await defineAttributes(db, [{ name: 'plan', type: 'text' }]);
  await insertContacts(db, [{ id: 'ct_html', email: 'lin@example.test', name: 'Lin <script>', attributes: { plan: 'Pro & more' } }]);
});
afterAll(async () => {
  transports.close();
  await closeServer?.();
  await db?.destroy();
});

function flow(send: SendEmailData, source: 'audience' | 'event' = 'audience'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: source === 'event' ? { source, event: 'signed_up' } : { source } },
      { id: 'send', type: 'sendEmail', position: { x: 0, y: 100 }, data: send },
      { id: 'end', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'send' },
      { id: 'e2', source: 'send', target: 'end' },
    ],
  };
}

const MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text><h1>Welcome, {{ name }}</h1><p>Your plan: {{ plan | default: "free" }}</p></mj-text>
  <mj-button href="https://acme.test/start?utm_source=mail&amp;x=1">Get started</mj-button>
  <mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

async function publish(id: string, graph: FlowGraph) {
  await saveDraftAs(db, admin, { id, name: id, graph });
  return publishFlow(db, id, admin);
}

async function publishError(id: string, graph: FlowGraph) {
  const err = await publish(id, graph).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('an MJML email, published and sent', () => {
  it('arrives multipart: HTML with escaped values and the hidden preheader, the generated text, the node’s reply-to', async () => {
    const published = await publish(
      'welcome',
      flow({
        profileId: 'html',
        subject: 'Hi {{ name }}',
        preheader: 'Your {{ plan }} plan',
        format: 'mjml',
        html: MJML,
        text: '',
        replyTo: 'help@acme.test',
      }),
    );
    expect(published.warnings).toEqual([]);
    const version = await getFlowVersion(db, 'welcome', published.version);
    const step = version?.plan.steps.send;
    if (step?.type !== 'sendEmail') throw new Error('no send step');
    // The plan carries compiled HTML, never MJML: no contact's message compiles anything.
    expect(step.mjml).toBeUndefined();
    expect(step.html).toMatch(/^<!doctype html>/i);

    const activity = createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 3), publicUrl: 'https://mail.acme.test' });
    const result: SendEmailResult = await new MockActivityEnvironment({ attempt: 1 }).run(activity, {
      runId: 'run_html',
      nodeId: 'send',
      contactId: 'ct_html',
      profileId: step.profileId,
      subject: step.subject,
      text: step.text,
      ...(step.preheader ? { preheader: step.preheader } : {}),
      ...(step.html ? { html: step.html } : {}),
      ...(step.replyTo ? { replyTo: step.replyTo } : {}),
      workflowId: 'wf_html',
    });
    expect(result.reply).toMatch(/^250 /);
    expect(received).toHaveLength(1);
    const raw = received[0] ?? Buffer.alloc(0);
    expect(raw.toString()).toMatch(/Content-Type: multipart\/alternative/i);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Hi Lin <script>');
    expect(mail.replyTo?.text).toBe('help@acme.test');
    const html = String(mail.html);
    expect(html).toMatch(/<body[^>]*><div style="display:none;[^"]*">Your Pro &amp; more plan<\/div>/);
    expect(html).toContain('Welcome, Lin &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="https://acme.test/start?utm_source=mail&amp;x=1"');
    expect(html).toMatch(/href="https:\/\/mail\.acme\.test\/unsubscribe\/[^"]+"/);
    const text = mail.text ?? '';
    expect(text).toContain('Welcome, Lin <script>');
    expect(text).toContain('Your plan: Pro & more');
    expect(text).toMatch(/Unsubscribe \[https:\/\/mail\.acme\.test\/unsubscribe\/\S+\]/);
    expect(text).not.toContain('{{');
    expect(raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  });
});

describe('the preview sent to the sandbox', () => {
  it('is the same multipart message: HTML, text part, reply-to', async () => {
    // The sandbox profile pointed at this test's server, which stands in for the bundled sandbox.
    await updateSmtpProfile(db, SANDBOX_PROFILE_ID, profileInput({ name: 'Sandbox', port, fromEmail: 'sandbox@acme.test' }), '');
    await saveDraftAs(db, admin, {
      id: 'previewed',
      name: 'previewed',
      graph: flow({ profileId: 'html', subject: 'Hi', text: '{{ unsubscribe_url }}' }),
    });
    const before = received.length;
    const sent = await sendPreviewToSandbox(
      db,
      makeKeyring(Buffer.alloc(32, 5)),
      localSmtpPolicy,
      Buffer.alloc(32, 6),
      admin,
      'previewed',
      {
        profileId: 'html',
        subject: 'Hi {{ name }}',
        text: '',
        format: 'mjml',
        html: MJML,
        preheader: 'Psst',
        replyTo: 'help@acme.test',
        contactId: 'ct_html',
      },
      { publicUrl: 'https://mail.acme.test', secret: Buffer.alloc(32, 7) },
      { host: '127.0.0.1', port },
    );
    expect(sent.ok).toBe(true);
    expect(received).toHaveLength(before + 1);
    const mail = await simpleParser(received[before] ?? Buffer.alloc(0));
    expect(mail.replyTo?.text).toBe('help@acme.test');
    expect(String(mail.html)).toBe(sent.preview.html);
    expect(String(mail.html)).toContain('Welcome, Lin &lt;script&gt;');
    expect(mail.text?.trim()).toBe(sent.preview.text.trim());
  });
});

describe('a one-off message', () => {
  it('with a template that does not parse is refused before anything starts (422 naming the problem), not failed at send time', async () => {
    // No Temporal client: the refusal comes before any workflow could start.
    const err = await sendOneOff(db, undefined as never, config, admin, { contactId: 'ct_html', subject: 'Hi {{ name', text: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ status: 422, code: 'invalid_message', message: expect.stringMatching(/not closed/) });
  });
});

describe('publishing checks the templates', () => {
  it('refuses a template that does not parse, with the error on that node’s field', async () => {
    const err = await publishError('broken', flow({ profileId: 'html', subject: 'Hi {{ name', text: 'Bye {{ unsubscribe_url }}' }));
    expect(err.status).toBe(422);
    expect(err.details).toEqual([expect.objectContaining({ nodeId: 'send', field: 'data.subject', message: expect.stringMatching(/not closed/) })]);
  });

  it('refuses a variable no contact has (a typo), and names it', async () => {
    const err = await publishError(
      'typo',
      flow({ profileId: 'html', subject: 'Hi', format: 'html', html: '<p>{{ plna }} {{ unsubscribe_url }}</p>', text: '' }),
    );
    expect(err.details).toEqual([expect.objectContaining({ nodeId: 'send', field: 'data.html', message: expect.stringContaining('"plna"') })]);
  });

  it('refuses MJML that does not validate, on the HTML field', async () => {
    const err = await publishError(
      'bad-mjml',
      flow({
        profileId: 'html',
        subject: 'Hi',
        format: 'mjml',
        html: '<mjml><mj-body><mj-colum>{{ unsubscribe_url }}</mj-colum></mj-body></mjml>',
        text: '',
      }),
    );
    expect(err.details).toEqual([expect.objectContaining({ nodeId: 'send', field: 'data.html', message: expect.stringMatching(/^MJML: line 1/) })]);
  });

  it('refuses an HTML body left empty, and a reply-to that is no address', async () => {
    const empty = await publishError('empty', flow({ profileId: 'html', subject: 'Hi', format: 'html', html: ' ', text: '' }));
    expect((empty.details as { severity?: string }[]).filter((d) => d.severity !== 'warning')).toEqual([
      expect.objectContaining({ nodeId: 'send', field: 'data.html', message: 'write the HTML body, or choose "Text only"' }),
    ]);
    const replyTo = await publishError(
      'reply-to',
      flow({ profileId: 'html', subject: 'Hi', text: '{{ unsubscribe_url }}', replyTo: 'not-an-address' }),
    );
    expect(replyTo.details).toEqual([
      expect.objectContaining({ nodeId: 'send', field: 'data.replyTo', message: 'reply-to must be an email address like support@example.com' }),
    ]);
  });

  it('publishes a campaign body without {{ unsubscribe_url }}, with a warning on the body', async () => {
    const published = await publish('no-link', flow({ profileId: 'html', subject: 'Hi', text: 'Hello {{ name }}' }));
    expect(published.version).toBe(1);
    expect(published.warnings).toEqual([
      expect.objectContaining({ nodeId: 'send', field: 'data.text', severity: 'warning', message: expect.stringContaining('{{ unsubscribe_url }}') }),
    ]);
    // A journey started by an API event is not a campaign: no warning.
    expect((await publish('event-no-link', flow({ profileId: 'html', subject: 'Hi', text: 'Hello' }, 'event'))).warnings).toEqual([]);
  });

  it('where contacts enter by an API event, which may bring the attribute, a variable no contact has is a warning', async () => {
    const published = await publish('event-typo', flow({ profileId: 'html', subject: 'Hi', text: 'Your {{ coupon }}' }, 'event'));
    expect(published.warnings).toEqual([
      expect.objectContaining({ field: 'data.text', severity: 'warning', message: expect.stringContaining('"coupon"') }),
    ]);
  });

  it('publishes a defaulted variable no contact has yet, with a warning', async () => {
    const published = await publish(
      'defaulted',
      flow({ profileId: 'html', subject: 'Hi {{ coupon | default: "none" }}', text: '{{ unsubscribe_url }}' }),
    );
    expect(published.warnings).toEqual([
      expect.objectContaining({ field: 'data.subject', severity: 'warning', message: expect.stringContaining('"coupon"') }),
    ]);
  });
});
