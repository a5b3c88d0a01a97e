/** Export and import of flows, and the Send node preview, over HTTP on the running product. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortableFlow } from '../../domain/flow/portable';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import type {
  SmtpProfileCreated,
  SmtpProfileResponse,
  FlowImported,
  FlowPublished,
  FlowResponse,
  PreviewResponse,
  PreviewSent,
  SandboxMessageList,
} from '../../web/lib/api-types';
import { admin, agentA, eventually, gmailLikeProfile, Product, profileInput, sendGraph, smtpLogin } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('portable');
});

afterAll(async () => {
  await product?.stop();
});

const SUBJECT = 'Hi {{name}}, you are on {{ plan | default: "the free plan" }}';

describe('export and import', () => {
  it('exports a published flow, refuses bad files by field, imports it with a profile remapped, and publishes the import', async () => {
    const api = product.admin;
    const graph = { ...sendGraph(SANDBOX_PROFILE_ID, SUBJECT) };
    graph.nodes = graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, name: 'Welcome email' } : n));
    expect((await api.api('PUT', '/api/flows/portable-src', { name: 'Portable source', graph })).status).toBe(200);
    const published = (await api.api<FlowPublished>('POST', '/api/flows/portable-src/publish')).data;

    const exported = await fetch(`${product.web}/api/flows/portable-src/export?version=${published.version}`, { headers: { cookie: api.cookie } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="portable-source-v1.dripline.json"');
    const file = (await exported.json()) as PortableFlow;
    expect(file).toMatchObject({ schemaVersion: 1, name: 'Portable source', graph });
    expect(Date.parse(file.exportedAt)).not.toBeNaN();
    // The draft exports the same graph; a version that does not exist is a 404 naming it.
    expect((await api.api<PortableFlow>('GET', '/api/flows/portable-src/export')).data.graph).toEqual(graph);
    expect((await api.api('GET', '/api/flows/portable-src/export?version=9')).error).toMatchObject({ code: 'version_not_found' });
    expect((await api.api('GET', '/api/flows/portable-src/export?version=x')).status).toBe(400);

    // As if from another install: its Send node names a profile this one does not have.
    const elsewhere = structuredClone(file);
    for (const n of elsewhere.graph.nodes) if (n.type === 'sendEmail') n.data.profileId = 'ses-production';

    const future = await api.api('POST', '/api/flows/import', { file: { ...elsewhere, schemaVersion: 2 } });
    expect(future.status).toBe(422);
    expect(future.error.code).toBe('invalid_file');
    expect(future.error.message).toContain('schemaVersion 2');
    expect(future.error.message).toContain('reads schemaVersion 1');

    const broken = structuredClone(elsewhere) as { graph: { nodes: { type: string; data: { subject?: string } }[] } };
    for (const n of broken.graph.nodes) if (n.type === 'sendEmail') n.data.subject = '';
    const malformed = await api.api('POST', '/api/flows/import', { file: broken });
    expect(malformed.status).toBe(422);
    expect(malformed.error.details).toContainEqual(expect.objectContaining({ field: 'graph.nodes.1.data.subject' }));
    expect((await api.apiRaw('POST', '/api/flows/import', '{not json')).status).toBe(400);

    const needsMap = await api.api('POST', '/api/flows/import', elsewhere); // the bare file is a body too
    expect(needsMap.status).toBe(422);
    expect(needsMap.error.code).toBe('profile_mapping_needed');
    expect(needsMap.error.details).toEqual({ unmapped: [{ profileId: 'ses-production', reason: 'missing', steps: ['Send Email “Welcome email”'] }] });
    const badTarget = await api.api('POST', '/api/flows/import', { file: elsewhere, profileMap: { 'ses-production': 'nope' } });
    expect(badTarget.status).toBe(422);
    expect(badTarget.error.details).toContainEqual(expect.objectContaining({ field: 'profileMap.ses-production' }));

    const imported = await api.api<FlowImported>('POST', '/api/flows/import', {
      file: elsewhere,
      profileMap: { 'ses-production': SANDBOX_PROFILE_ID },
    });
    expect(imported.status).toBe(201);
    expect(imported.data.name).toBe('Portable source');
    expect(imported.data.id).not.toBe('portable-src');
    const again = (
      await api.api<FlowImported>('POST', '/api/flows/import', { file: elsewhere, profileMap: { 'ses-production': SANDBOX_PROFILE_ID } })
    ).data;
    expect(again.id).not.toBe(imported.data.id);

    expect((await api.api<FlowPublished>('POST', `/api/flows/${imported.data.id}/publish`)).data.version).toBe(1);
    const copy = (await api.api<FlowResponse>('GET', `/api/flows/${imported.data.id}`)).data;
    expect(copy.graph).toEqual(graph);
    expect(copy.versions.map((v) => v.version)).toEqual([1]);
    expect((await api.api<PortableFlow>('GET', `/api/flows/${imported.data.id}/export?version=1`)).data.graph).toEqual(graph);
    // The source is untouched.
    expect((await api.api<FlowResponse>('GET', '/api/flows/portable-src')).data.versions.map((v) => v.version)).toEqual([1]);
  });
});

describe('who may export and import what', () => {
  it("an agent cannot export or preview someone else's flow, and must replace a profile that is private to another user", async () => {
    const api = product.admin;
    const privateProfile = (await api.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', gmailLikeProfile(product, 'Admin only'))).data.id;
    expect((await api.api('PUT', '/api/flows/admin-private', { name: 'Admin private', graph: sendGraph(privateProfile) })).status).toBe(200);
    const file = (await api.api<PortableFlow>('GET', '/api/flows/admin-private/export')).data;

    await product.createAgent(agentA);
    const agent = await product.signIn(agentA);
    expect((await agent.api('GET', '/api/flows/admin-private/export')).status).toBe(404);
    const node = { profileId: SANDBOX_PROFILE_ID, subject: 'Hi', text: 'Hi', contactId: 'ct_ada' };
    expect((await agent.api('POST', '/api/flows/admin-private/preview', node)).status).toBe(404);

    const refused = await agent.api('POST', '/api/flows/import', { file });
    expect(refused.error.details).toEqual({ unmapped: [{ profileId: privateProfile, reason: 'forbidden', steps: ['Send Email “Hello {{name}}”'] }] });
    const mine = (await agent.api<FlowImported>('POST', '/api/flows/import', { file, profileMap: { [privateProfile]: SANDBOX_PROFILE_ID } })).data;
    // The new draft is the agent's own: they see it, and it is theirs to preview.
    expect((await agent.api<FlowResponse>('GET', `/api/flows/${mine.id}`)).data.ownerId).toBe(agent.userId);
    expect((await agent.api<PreviewResponse>('POST', `/api/flows/${mine.id}/preview`, node)).data.subject).toBe('Hi');
  });
});

describe('preview', () => {
  it("renders a Send node for a contact with the contact's attributes and unsubscribe link, and sends it to the sandbox", async () => {
    const api = product.admin;
    expect((await api.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'Pro' } })).status).toBe(200);
    const node = { profileId: SANDBOX_PROFILE_ID, subject: SUBJECT, text: 'Hello {{name}}, plan {{plan}}.' };

    const preview = (await api.api<PreviewResponse>('POST', '/api/flows/portable-src/preview', { ...node, contactId: 'ct_grace' })).data;
    expect(preview.subject).toBe('Hi Grace Hopper, you are on Pro');
    expect(preview.to).toBe('Grace Hopper <grace@example.test>');
    expect(preview.unsubscribeUrl).toMatch(/\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{32}$/);
    expect(preview.text).toBe(`Hello Grace Hopper, plan Pro.\n\n--\nTo stop receiving these emails, unsubscribe: ${preview.unsubscribeUrl}\n`);

    const sample = { ...node, sample: { name: 'Ada', email: 'ada@sample.test', attributes: {} } };
    expect((await api.api<PreviewResponse>('POST', '/api/flows/portable-src/preview', sample)).data.subject).toBe('Hi Ada, you are on the free plan');
    const noContact = await api.api('POST', '/api/flows/portable-src/preview', node);
    expect(noContact.status).toBe(422);
    expect((await api.api('POST', '/api/flows/nope/preview', { ...node, contactId: 'ct_grace' })).status).toBe(404);
    expect((await api.api('POST', '/api/flows/portable-src/preview', { ...node, contactId: 'ct_nobody' })).status).toBe(404);

    const sent = (await api.api<PreviewSent>('POST', '/api/flows/portable-src/preview/sandbox', { ...node, contactId: 'ct_grace' })).data;
    expect(sent.ok).toBe(true);
    const kept = await eventually('the preview in the sandbox mailbox', async () =>
      (await api.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.find((m) => m.subject === 'Hi Grace Hopper, you are on Pro'),
    );
    expect(kept).toMatchObject({ toHeader: '"Grace Hopper" <grace@example.test>' });

    // Had an admin pointed the Sandbox profile at another server, a preview (to a real contact's address) is not sent.
    const view = (await api.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${SANDBOX_PROFILE_ID}`)).data;
    expect((await api.api('PUT', `/api/smtp-profiles/${SANDBOX_PROFILE_ID}`, profileInput(view, { port: view.port + 1 }))).status).toBe(200);
    const moved = await api.api('POST', '/api/flows/portable-src/preview/sandbox', { ...node, contactId: 'ct_grace' });
    expect(moved.status).toBe(409);
    expect(moved.error.message).toMatch(/no longer points at the bundled sandbox server/);
    // Moving a profile to another server drops its password: putting it back takes the password again.
    expect((await api.api('PUT', `/api/smtp-profiles/${SANDBOX_PROFILE_ID}`, profileInput(view, { password: smtpLogin.password }))).status).toBe(200);
  });
});

describe('HTML preview', () => {
  it('renders an MJML node for a contact: compiled HTML with escaped values and the hidden preheader, the generated text; MJML errors name the field', async () => {
    const api = product.admin;
    expect((await api.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'Pro <b>' } })).status).toBe(200);
    const mjml =
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ name }}, plan {{ plan }}</mj-text><mj-text><a href="{{ unsubscribe_url }}">Leave</a></mj-text></mj-column></mj-section></mj-body></mjml>';
    const node = {
      profileId: SANDBOX_PROFILE_ID,
      subject: 'Hi',
      text: '',
      format: 'mjml',
      html: mjml,
      preheader: 'For {{ name }}',
      replyTo: 'help@acme.test',
    };
    const preview = (await api.api<PreviewResponse>('POST', '/api/flows/portable-src/preview', { ...node, contactId: 'ct_grace' })).data;
    expect(preview.html).toMatch(/<!doctype html>/i);
    expect(preview.html).toContain('Hello Grace Hopper, plan Pro &lt;b&gt;');
    expect(preview.html).toMatch(/<div style="display:none;[^"]*">For Grace Hopper<\/div>/);
    expect(preview.html).toContain(`href="${preview.unsubscribeUrl}"`);
    expect(preview.text).toContain('Hello Grace Hopper, plan Pro <b>');
    expect(preview.text).toContain(`Leave [${preview.unsubscribeUrl}]`);
    expect(preview.replyTo).toBe('help@acme.test');

    const broken = await api.api('POST', '/api/flows/portable-src/preview', {
      ...node,
      html: '<mjml><mj-body><mj-colum/></mj-body></mjml>',
      contactId: 'ct_grace',
    });
    expect(broken.status).toBe(422);
    expect(broken.error).toMatchObject({ code: 'invalid_template', details: { field: 'html' } });
    const badTemplate = await api.api('POST', '/api/flows/portable-src/preview', { ...node, subject: 'Hi {{ name', contactId: 'ct_grace' });
    expect(badTemplate.status).toBe(422);
    expect(badTemplate.error.message).toMatch(/not closed/);
    expect((await api.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'Pro' } })).status).toBe(200);
  });
});

describe('in the browser', () => {
  it('exports from the editor, previews a Send node for a contact, and imports on the flows list with a sender chosen', async () => {
    const api = product.admin;
    const graph = sendGraph(SANDBOX_PROFILE_ID, SUBJECT);
    expect((await api.api('PUT', '/api/flows/portable-ui', { name: 'Portable UI', graph })).status).toBe(200);
    expect((await api.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'Pro' } })).status).toBe(200);
    expect((await api.api<FlowPublished>('POST', '/api/flows/portable-ui/publish')).data.version).toBe(1);

    const browser = await product.logIn(admin, '/flows/portable-ui');
    const { page } = browser;
    await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-flow').click()]);
    expect(download.suggestedFilename()).toBe('portable-ui.dripline.json');
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8')) as PortableFlow;
    expect(file).toMatchObject({ schemaVersion: 1, name: 'Portable UI', graph });
    const [versionDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('version-export-1').click()]);
    expect(versionDownload.suggestedFilename()).toBe('portable-ui-v1.dripline.json');

    // With a change not yet saved, Export saves it first: the file holds what is on the canvas.
    await page.getByTestId('node-sendEmail').click();
    await page.getByTestId('step-name').fill('Renamed just now');
    const [unsaved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-flow').click()]);
    const renamed = JSON.parse(fs.readFileSync(await unsaved.path(), 'utf8')) as PortableFlow;
    expect(renamed.graph.nodes.find((n) => n.type === 'sendEmail')?.name).toBe('Renamed just now');

    await page.getByTestId('preview-open').click();
    await page.getByTestId('preview-contact').selectOption('ct_grace');
    await page.getByTestId('preview-render').click();
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe('Hi Grace Hopper, you are on Pro');
    await expect
      .poll(() => page.getByTestId('preview-text').textContent())
      .toMatch(/Hi Grace Hopper\n\n--\nTo stop receiving these emails, unsubscribe: http.*\/unsubscribe\//);
    await page.getByTestId('preview-sandbox').click();
    await expect.poll(() => page.getByTestId('preview-message').textContent()).toMatch(/^Sent to grace@example\.test/);

    // An HTML body previews in an iframe that may run nothing (sandbox=""), as the contact gets it.
    await page.getByTestId('send-format').selectOption('html');
    await page.getByTestId('send-html').fill('<p>Hello {{ name }}</p><script>parent.document.title = "owned"</script>');
    // With no text part written, the text part is generated from the HTML.
    await page.getByTestId('send-text').fill('');
    await page.getByTestId('preview-render').click();
    const frame = page.getByTestId('preview-html');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    await expect.poll(() => frame.getAttribute('srcdoc')).toContain('<p>Hello Grace Hopper</p>');
    await expect.poll(() => page.frameLocator('[data-testid="preview-html"]').locator('p').first().textContent()).toBe('Hello Grace Hopper');
    expect(await page.title()).not.toBe('owned');
    await expect.poll(() => page.getByTestId('preview-text').textContent()).toMatch(/^Hello Grace Hopper\n\n--\nTo stop receiving these emails/);

    // A campaign body without {{ unsubscribe_url }} is a warning, listed apart and on the field: the flow can still be published.
    await expect.poll(() => page.getByTestId('flow-warnings').textContent()).toContain('{{ unsubscribe_url }}');
    await page.getByTestId('flow-ok').waitFor();
    await expect.poll(() => page.getByTestId('node-panel').getByTestId('field-warning').textContent()).toContain('unsubscribe_url');
    await page.getByTestId('send-html').fill('<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Leave</a></p>');
    await page.getByTestId('flow-warnings').waitFor({ state: 'detached' });
    await page.getByTestId('publish-flow').click();
    await expect.poll(() => page.getByTestId('published-version').textContent()).toMatch(/^Published version 2\./);

    // On the flows list: a file from a newer Dripline is refused by its version; one naming a missing sender asks for another.
    await page.goto(`${product.web}/flows`);
    const upload = (content: unknown) =>
      page
        .getByTestId('import-file')
        .setInputFiles({ name: 'flow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(content)) });
    await upload({ ...file, schemaVersion: 3 });
    await expect.poll(() => page.getByTestId('import-errors').textContent()).toContain('schemaVersion 3');
    const elsewhere = structuredClone(file);
    for (const n of elsewhere.graph.nodes) if (n.type === 'sendEmail') n.data.profileId = 'ses-production';
    await upload(elsewhere);
    await page.getByTestId('import-map-ses-production').selectOption(SANDBOX_PROFILE_ID);
    await page.getByTestId('import-confirm').click();
    await page.waitForURL(/\/flows\/flow_[0-9a-f]{16}$/);
    await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
    const importedId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const imported = (await api.api<FlowResponse>('GET', `/api/flows/${importedId}`)).data;
    expect(imported).toMatchObject({ name: 'Portable UI', graph });
    await browser.close();
  });
});
