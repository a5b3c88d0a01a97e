/** Liquid templates of a Send step: rendering, escaping, no file access, MJML, the generated text part and publish's checks. */
import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { printsVariable, type SendEmailData } from '../domain/flow/nodes/send-email';
import type { FlowGraph } from '../domain/flow/schema';
import { checkSendStep, checkTemplate, compileMjml, knownVariables, prepareSendStep, textFromHtml } from '../server/email-content';
import { composeMessage } from '../server/smtp/message';
import { renderFields, type TemplateKind, type TemplateScope } from '../server/templates';

const contact: TemplateScope = { plan: 'pro', seats: 3, vip: true, empty: '', name: 'Ada', email: 'ada@example.test' };
/** One template rendered for one contact, in a template thread (as the text part, or as the subject: a header). */
const renderTemplate = async (source: string, kind: TemplateKind, scope: TemplateScope, options: { header?: boolean } = {}) => {
  const name = options.header ? 'subject' : kind === 'html' ? 'html' : 'text';
  return (await renderFields([{ name, source, kind }], scope))[name];
};
const text = (source: string, scope: TemplateScope = contact) => renderTemplate(source, 'text', scope);

describe('rendering', () => {
  it('fills name, email and attributes, with any spacing, and keeps {{name}} working', async () => {
    expect(await text('Hi {{name}} <{{ email }}>: {{ plan }}, {{seats}} seats, vip {{  vip  }}')).toBe(
      'Hi Ada <ada@example.test>: pro, 3 seats, vip true',
    );
  });

  it('renders a missing or empty attribute empty, or its default', async () => {
    expect(await text('[{{ missing }}]')).toBe('[]');
    expect(await text('Hello {{ missing | default: "friend" }}')).toBe('Hello friend');
    expect(await text("Hello {{ empty | default: 'you' }}")).toBe('Hello you');
    expect(await text('Hello {{ plan | default: "friend" }}')).toBe('Hello pro');
    expect(await text('Hello {{ name | default: "friend" }}', { ...contact, name: '' })).toBe('Hello friend');
  });

  it('runs Liquid: conditions and filters', async () => {
    expect(await text('{% if vip %}VIP {% endif %}{{ plan | upcase }}{% if missing %}!{% endif %}')).toBe('VIP PRO');
  });

  it('escapes contact values in the HTML part, not in the text part', async () => {
    const hostile = { ...contact, name: '<script>alert(1)</script> & "co"' };
    expect(await renderTemplate('<p>Hi {{ name }}</p>', 'html', hostile)).toBe('<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;co&#34;</p>');
    expect(await text('Hi {{ name }}', hostile)).toBe('Hi <script>alert(1)</script> & "co"');
  });

  it('never lets contact data put a line break into a header', async () => {
    expect(await renderTemplate('Re: {{ plan }}', 'text', { ...contact, plan: 'a\r\nBcc: x@evil.test' }, { header: true })).toBe(
      'Re: a  Bcc: x@evil.test',
    );
  });

  it('reads only the contact’s own values, nothing from prototypes', async () => {
    expect(await text('[{{ name.constructor }}][{{ plan.length }}]')).toBe('[][3]');
  });

  it('reads no file: include, render and layout are refused when the template is parsed, cleanly', async () => {
    for (const source of ["{% include '/etc/passwd' %}", '{% render "/etc/passwd" %}', "{% layout '/etc/passwd' %}"]) {
      await expect(text(source)).rejects.toThrow(/not available in email templates/);
      const problems = await checkTemplate('n1', 'data.text', source, 'text', knownVariables([]));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ nodeId: 'n1', field: 'data.text' });
      expect(problems[0]?.message).toMatch(/not available in email templates/);
      expect(problems[0]?.message).not.toMatch(/root:/);
    }
  });

  it('knows whether a template prints {{ unsubscribe_url }}', async () => {
    expect(printsVariable('Leave: {{ unsubscribe_url }}', 'unsubscribe_url')).toBe(true);
    expect(printsVariable('<a href="{{unsubscribe_url}}">x</a>', 'unsubscribe_url')).toBe(true);
    expect(printsVariable('Hello {{ name }}, {{ unsubscribe_url_x }}', 'unsubscribe_url')).toBe(false);
  });
});

describe('publish checks of a template', () => {
  const known = knownVariables([
    { name: 'plan', type: 'text' },
    { name: 'seats', type: 'number' },
  ]);

  it('a template that does not parse is an error on its field', async () => {
    const [problem, ...rest] = await checkTemplate('n1', 'data.subject', 'Hi {{ name ', 'text', known);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ nodeId: 'n1', field: 'data.subject' });
    expect(problem?.severity).toBeUndefined();
    expect(problem?.message).toMatch(/the template has a mistake: output "\{\{ name " not closed/);
  });

  it('an unknown filter is an error', async () => {
    expect((await checkTemplate('n1', 'data.text', '{{ name | shout }}', 'text', known))[0]?.message).toMatch(/undefined filter: shout/);
  });

  it('a variable no contact has, without a default, is an error naming it; with a default, a warning', async () => {
    const problems = await checkTemplate(
      'n1',
      'data.html',
      '<p>{{ plna }} {{ cuopon }} {{ tier | default: "free" }} {{ plan }} {{ seats }}</p>',
      'html',
      known,
    );
    expect(problems.filter((p) => !p.severity).map((p) => p.message)).toEqual([
      expect.stringContaining('no contact has the attribute "plna"'),
      expect.stringContaining('no contact has the attribute "cuopon"'),
    ]);
    expect(problems.filter((p) => p.severity === 'warning').map((p) => p.message)).toEqual([
      expect.stringContaining('no contact has the attribute "tier" yet'),
    ]);
  });

  it('knows name, email and unsubscribe_url without any attribute', async () => {
    expect(await checkTemplate('n1', 'data.text', '{{ name }} {{ email }} {{ unsubscribe_url }}', 'text', knownVariables([]))).toEqual([]);
  });

  it('a generated text part is not checked again: its problems are the HTML’s', async () => {
    const { step } = await prepareSendStep('n1', {
      type: 'sendEmail',
      profileId: 'p',
      subject: 'Hi',
      text: '',
      html: '<p>{{ nope }}</p>',
      next: 'x',
    });
    const problems = await checkSendStep('n1', step, { textWritten: false }, known);
    expect(problems.map((p) => p.field)).toEqual(['data.html']);
  });
});

describe('HTML authoring', () => {
  it('compiles MJML to HTML, Liquid left in place for each contact', async () => {
    const { html, errors } = await compileMjml(
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ name }}</mj-text><mj-button href="{{ unsubscribe_url }}">Leave</mj-button></mj-column></mj-section></mj-body></mjml>',
    );
    expect(errors).toEqual([]);
    expect(html).toMatch(/<!doctype html>/i);
    expect(html).toContain('Hi {{ name }}');
    expect(html).toContain('href="{{ unsubscribe_url }}"');
    // No web font link the author did not write.
    expect(html).not.toContain('fonts.googleapis.com');
  });

  it('MJML errors come back on the node’s HTML field, with their line', async () => {
    const { errors } = await prepareSendStep('n1', {
      type: 'sendEmail',
      profileId: 'p',
      subject: 'Hi',
      text: '',
      mjml: '<mjml><mj-body>\n<mj-section><mj-colum><mj-text>x</mj-text></mj-colum></mj-section></mj-body></mjml>',
      next: 'x',
    });
    expect(errors[0]).toMatchObject({ nodeId: 'n1', field: 'data.html' });
    expect(errors[0]?.message).toMatch(/^MJML: line 2: .*mj-colum/);
  });

  it('mj-include reads no file', async () => {
    const { html } = await compileMjml('<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>');
    expect(html).not.toContain('root:');
  });

  it('generates the text part from the HTML, Liquid tags intact, links shown, headings keep their case', async () => {
    const generated = textFromHtml(
      '<h1>Hello {{ name }}</h1><p>Your plan: <b>{{ plan | default: "free" }}</b></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    );
    expect(generated).toContain('Hello {{ name }}');
    expect(generated).toContain('Your plan: {{ plan | default: "free" }}');
    expect(generated).toContain('Unsubscribe [{{ unsubscribe_url }}]');
  });
});

describe('composed messages', () => {
  const profile = { fromName: 'News', fromEmail: 'news@example.test', replyTo: 'desk@example.test' };
  const ada = { name: 'Ada', email: 'ada@example.test', attributes: { plan: 'pro & co' } };

  it('carry the HTML with the preheader hidden first in the body, the text part, and the node’s reply-to', async () => {
    const { step } = await prepareSendStep('n1', {
      type: 'sendEmail',
      profileId: 'p',
      subject: 'Hi {{ name }}',
      text: '',
      preheader: 'Your {{ plan }} plan',
      html: '<html><body><p>Plan: {{ plan }}</p><a href="https://example.test/x?a=1&amp;b=2"><img src="https://example.test/i.png"></a></body></html>',
      replyTo: 'help@example.test',
      next: 'x',
    });
    const m = await composeMessage(profile, ada, step, '<x@y>', { unsubscribeUrl: 'https://mail.example.test/unsubscribe/t' });
    expect(m.replyTo).toBe('help@example.test');
    expect(m.html).toMatch(/^<html><body><div style="display:none;[^"]*">Your pro &amp; co plan<\/div><p>Plan: pro &amp; co<\/p>/);
    // Links and images as written; the unsubscribe footer where the body did not place the link.
    expect(m.html).toContain('<a href="https://example.test/x?a=1&amp;b=2"><img src="https://example.test/i.png"></a>');
    expect(m.html).toContain('<a href="https://mail.example.test/unsubscribe/t">unsubscribe</a>.</p></body></html>');
    expect(m.text).toContain('Plan: pro & co');
    expect(m.text).toContain('unsubscribe: https://mail.example.test/unsubscribe/t');
    expect(m.text).not.toContain('Your pro');
  });

  it('without an HTML body: text only, the profile’s reply-to', async () => {
    const m = await composeMessage(profile, ada, { subject: 'Hi', text: 'Hello {{ name }}' }, '<x@y>');
    expect(m.html).toBeUndefined();
    expect(m.replyTo).toBe('desk@example.test');
    expect(m.text).toBe('Hello Ada');
  });

  it('a template that cannot render for a contact fails that message as permanent (EMESSAGE), not as an SMTP fault', async () => {
    await expect(composeMessage(profile, ada, { subject: 'Hi', text: '{{ name | nofilter }}' }, '<x@y>')).rejects.toMatchObject({
      code: 'EMESSAGE',
      message: expect.stringMatching(/Text body: .*undefined filter: nofilter/),
    });
  });
});

describe('compile (in the browser too)', () => {
  const graph = (send: SendEmailData, source: 'audience' | 'event' = 'audience'): FlowGraph => ({
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: source === 'event' ? { source, event: 'signed_up' } : { source } },
      { id: 's', type: 'sendEmail', position: { x: 0, y: 1 }, data: send },
      { id: 'x', type: 'exit', position: { x: 0, y: 2 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  });
  const meta = { flowId: 'f', version: 1 };

  it('warns, without failing, when a campaign body has no {{ unsubscribe_url }}; the plan carries HTML, MJML, preheader and reply-to', async () => {
    const result = compile(
      graph({ profileId: 'p', subject: 'Hi', text: '', format: 'mjml', html: '<mjml></mjml>', preheader: 'Pre', replyTo: 'a@b.test' }),
      meta,
    );
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ nodeId: 's', field: 'data.html', severity: 'warning' })]);
    if (result.ok) expect(result.plan.steps.s).toMatchObject({ mjml: '<mjml></mjml>', preheader: 'Pre', replyTo: 'a@b.test' });
    expect(compile(graph({ profileId: 'p', subject: 'Hi', text: '{{ unsubscribe_url }}' }), meta).warnings).toEqual([]);
    expect(compile(graph({ profileId: 'p', subject: 'Hi', text: 'Hello' }, 'event'), meta).warnings).toEqual([]);
  });

  it('a body left empty is an error on its field; errors and warnings come back together', async () => {
    const result = compile(graph({ profileId: 'p', subject: 'Hi', text: ' ' }), meta);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([{ nodeId: 's', field: 'data.text', message: 'write the body of the email' }]);
    expect(result.warnings).toHaveLength(1);
  });
});
