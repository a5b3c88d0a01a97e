/** Bad input through the API: a 4xx with a named error, never a crash, and no header injection into an email. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowCreated, FlowPublished, FlowSaved, SandboxMessageList } from '../../../web/lib/api-types';
import { issueFields, Product, sendGraph } from '../product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('security/input');
});

afterAll(async () => {
  await product?.stop();
});

const mailboxCount = async () => (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.length;

describe('input the API refuses', () => {
  it('answers bad input with 4xx and a named error, never a crash', async () => {
    const { admin } = product;
    const badJson = await admin.apiRaw('PUT', '/api/flows/welcome', '{"name": "x", graph');
    expect(badJson.status).toBe(400);
    expect(badJson.error.message).toMatch(/JSON/i);

    const badGraph = await admin.api<FlowSaved>('PUT', '/api/flows/welcome', {
      name: 'x',
      graph: { schemaVersion: 1, nodes: [{ id: 'a', type: 'bogus', position: { x: 0, y: 0 }, data: {} }], edges: [] },
    });
    expect(badGraph.status).toBe(422);
    expect(JSON.stringify(badGraph.error.details)).toMatch(/"nodeId":"a"/);

    const unknownVersion = await admin.api('POST', '/api/runs', { flowId: 'welcome', version: 99, contactIds: ['ct_ada'] });
    expect(unknownVersion.status).toBe(404);

    const created = await admin.api<FlowCreated>('POST', '/api/flows', {});
    expect(created.status).toBeLessThan(300);
    const flowId = created.data.id;
    expect(
      (await admin.api<FlowSaved>('PUT', `/api/flows/${flowId}`, { name: 'Bad sender', graph: sendGraph('no-such-profile', 'Hi') })).status,
    ).toBe(200);
    const unknownProfile = await admin.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`);
    expect(unknownProfile.status).toBe(422);
    expect(unknownProfile.text).toMatch(/no-such-profile/);

    // The sample flow is still intact after the rejected saves.
    const published = await admin.api<FlowPublished>('POST', '/api/flows/welcome/publish');
    expect(published.status).toBe(200);
    const unknownContact = await admin.api('POST', '/api/runs', {
      flowId: 'welcome',
      version: published.data.version,
      contactIds: ['ct_ada', 'ct_nobody'],
    });
    expect(unknownContact.status).toBe(404);
    expect(unknownContact.text).toMatch(/ct_nobody/);
    const badRequest = await admin.api('POST', '/api/runs', { flowId: 'welcome', version: 'one', contactIds: [] });
    expect(badRequest.status).toBe(422);
  });

  it('refuses header injection in sender name, reply-to and subjects with 422, and sends nothing', async () => {
    const { admin } = product;
    const before = await mailboxCount();
    const injection = 'x\r\nBcc: a@evil.test';
    const profile = { name: 'Injected', host: '127.0.0.1', port: product.ports.smtp, fromEmail: 'me@gmail.test' };
    for (const field of ['fromName', 'replyTo'] as const) {
      const res = await admin.api('POST', '/api/smtp-profiles', { ...profile, [field]: injection });
      expect(res.status, field).toBe(422);
      expect(issueFields(res.error)).toContain(field);
    }
    const flow = await admin.api<FlowCreated>('POST', '/api/flows', { name: 'Injection' });
    const save = await admin.api<FlowSaved>('PUT', `/api/flows/${flow.data.id}`, { name: 'Injection', graph: sendGraph('sandbox', injection) });
    expect(save.status).toBe(422);
    expect(JSON.stringify(save.error.details)).toMatch(/subject must not contain line breaks/);
    const oneOff = await admin.api('POST', '/api/contacts/ct_ada/send', { subject: injection, text: 'hi' });
    expect(oneOff.status).toBe(422);
    expect(issueFields(oneOff.error)).toContain('subject');
    expect(await mailboxCount()).toBe(before);
  });
});
