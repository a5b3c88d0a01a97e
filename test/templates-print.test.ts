// Templates that only print variables are rendered without a template thread (printVariables in
// server/templates.ts): the same output as liquidjs in the thread, for text and HTML; anything else
// that is Liquid is left to the thread.
import { afterAll, describe, expect, it } from 'vitest';
import { printVariables, TemplatePool, type TemplateKind, type TemplateScope } from '../server/templates';

const pool = new TemplatePool(1);
afterAll(() => pool.close());

const scope: TemplateScope = {
  name: `Ada "Bo" O'Neil <ada> & co`,
  email: 'ada@example.test',
  seats: 1.5,
  zero: 0,
  vip: true,
  off: false,
  blank_value: '',
  unsubscribe_url: 'https://mail.example.test/u?a=1&b=2',
  empty: 'not the literal',
};

/** What liquidjs prints in a template thread. */
async function inThread(source: string, kind: TemplateKind): Promise<string> {
  const answer = await pool.run<{ out: Record<string, string> }>({ type: 'render', fields: [{ name: 'text', source, kind }], scope }, 5_000);
  if (!('out' in answer)) throw new Error(JSON.stringify(answer));
  return answer.out.text!;
}

const printing = [
  'Hello {{name}},',
  'Hi {{ name }} <{{ email }}>: {{seats}} seats, {{ zero }}, vip {{  vip  }} / {{off}}',
  '[{{ missing }}][{{blank_value}}]',
  'multi-line {{\n  name\n}} and {{unsubscribe_url}}',
  '<style>p { color: red } a {}</style><p>{{ name }}</p> }} {not liquid} { {name} }',
  'no braces at all but a } and a {',
];
const leftToLiquid = [
  '{{ name | upcase }}',
  '{% if vip %}yes{% endif %}',
  '{{- name -}}',
  '{{{name}}}',
  '{{ true }}',
  '{{ empty }}',
  '{{ first-name }}',
  '{{ name.size }}',
  '{{ name }} and {{ name | downcase }}',
  'open {{ name',
];

describe('templates that only print variables (printVariables)', () => {
  for (const kind of ['text', 'html'] as const) {
    it.each(printing)(`${kind}: %j renders as liquidjs renders it`, async (source) => {
      const here = printVariables(source, kind, scope);
      expect(here).toBeDefined();
      expect(here).toBe(await inThread(source, kind));
    });
  }

  it('escapes values in the HTML part, not in the text', () => {
    expect(printVariables('{{ name }}', 'html', scope)).toBe('Ada &#34;Bo&#34; O&#39;Neil &lt;ada&gt; &amp; co');
    expect(printVariables('{{ name }}', 'text', scope)).toBe(scope.name);
  });

  it.each(leftToLiquid)('%j is left to the template thread', (source) => {
    expect(printVariables(source, 'text', scope)).toBeUndefined();
    expect(printVariables(source, 'html', scope)).toBeUndefined();
  });
});
