/**
 * The flow editor's live check of template variables (domain/template-variables.ts): which contact
 * variables a template reads, printed bare or not, and the problem (with "did you mean") for each one
 * no contact has, in the words publish uses too.
 */
import { describe, expect, it } from 'vitest';
import { sampleFlow } from '../domain/flow/sample';
import type { FlowGraph } from '../domain/flow/schema';
import { templateVariables, unknownVariableProblem, unknownVariables } from '../domain/template-variables';

describe('templateVariables', () => {
  it('finds printed variables, with or without a default', () => {
    expect(templateVariables('Hi {{ frist_name }}, {{ name | default: "there" }} {{- plan.tier -}}')).toEqual([
      { name: 'frist_name', printed: true },
      { name: 'name', printed: false },
      { name: 'plan', printed: true },
    ]);
  });

  it('reads conditions, loops and filter arguments, but not strings, filter names, literals or its own variables', () => {
    const source = [
      '{% if vip and score > 3 or city == "Paris" %}x{% elsif tier contains "gold" %}y{% endif %}',
      '{% for item in orders limit: 2 offset:skip %}{{ item.sku }} {{ forloop.index }}{% endfor %}{% for i in (1..count) %}{% endfor %}',
      '{% assign greeting = nickname | default: "friend" %}{{ greeting }}',
      '{% capture note %}n{% endcapture %}{{ note }}',
      '{{ price | times: rate | append: "€" }} {{ "literal" | upcase }} {{ nil }} {{ 3 }}',
      '{% raw %}{{ not_a_variable }}{% endraw %}{% comment %}{{ nor_this }}{% endcomment %}',
    ].join('\n');
    expect(templateVariables(source).map((u) => `${u.name}:${u.printed}`)).toEqual([
      'vip:false',
      'score:false',
      'city:false',
      'tier:false',
      'orders:false',
      'skip:false',
      'count:false',
      'nickname:false',
      'price:true',
      'rate:false',
    ]);
  });

  it('reads nothing from a text without Liquid', () => {
    expect(templateVariables('Hello {there}, a { brace } and }} alone')).toEqual([]);
  });
});

describe('unknownVariableProblem', () => {
  const known = ['first_name', 'plan', 'name', 'email', 'unsubscribe_url'];
  it('suggests the closest known name, and names the fix', () => {
    const p = unknownVariableProblem('frist_name', true, true, known);
    expect(p.severity).toBeUndefined();
    expect(p.message).toBe(
      'no contact has the attribute "frist_name" (did you mean first_name?): fix the name, add the attribute to contacts, or give a default: {{ frist_name | default: "…" }}',
    );
  });
  it('warns (no error) under a default or where an event may bring the attribute; no suggestion when nothing is close', () => {
    expect(unknownVariableProblem('plna', false, true, known)).toEqual({
      severity: 'warning',
      message: 'no contact has the attribute "plna" yet (did you mean plan?): every message gets its default (or nothing)',
    });
    expect(unknownVariableProblem('coupon_code', true, false, known)).toEqual({
      severity: 'warning',
      message: 'no contact has the attribute "coupon_code" yet: it prints nothing until an event brings it, unless you give a default',
    });
  });
});

describe('unknownVariables', () => {
  const flow = (send: Record<string, unknown>, source: 'audience' | 'event' | 'list' = 'audience'): FlowGraph => {
    const graph = structuredClone(sampleFlow('sandbox'));
    for (const node of graph.nodes) {
      if (node.type === 'sendEmail') Object.assign(node.data, send);
      if (node.type === 'trigger') node.data = { ...node.data, source, ...(source === 'event' ? { event: 'signed_up' } : {}) };
    }
    return graph;
  };
  const sendId = sampleFlow('sandbox').nodes.find((n) => n.type === 'sendEmail')!.id;

  it('flags each unknown variable once per field, on that field, built-ins and attributes known', () => {
    const graph = flow({
      subject: 'Hi {{ frist_name }} {{ frist_name }}',
      text: '{{ name }} {{ email }} {{ unsubscribe_url }} {{ first_name }} {{ cuopon | default: "none" }}',
      preheader: '{{ plna }}',
    });
    const problems = unknownVariables(graph, ['first_name', 'plan', 'coupon']);
    expect(problems.map((p) => [p.nodeId, p.field, p.severity ?? 'error', p.message.split(':')[0]])).toEqual([
      [sendId, 'data.subject', 'error', 'no contact has the attribute "frist_name" (did you mean first_name?)'],
      [sendId, 'data.preheader', 'error', 'no contact has the attribute "plna" (did you mean plan?)'],
      [sendId, 'data.text', 'warning', 'no contact has the attribute "cuopon" yet (did you mean coupon?)'],
    ]);
  });

  it('reads the HTML body only when the format has one, and warns only where an event starts the flow', () => {
    expect(unknownVariables(flow({ format: 'text', html: '{{ frist_name }}', subject: 'Hi', text: 'x' }), [])).toEqual([]);
    const html = unknownVariables(flow({ format: 'mjml', html: '<mj-text>{{ frist_name }}</mj-text>', subject: 'Hi', text: '' }, 'event'), [
      'first_name',
    ]);
    expect(html).toEqual([expect.objectContaining({ field: 'data.html', severity: 'warning' })]);
    expect(html[0]!.message).toContain('did you mean first_name?');
  });

  it("knows an API event's properties in its journeys, and names the field where no event starts the flow", () => {
    const send = { subject: 'Order {{ event.order_id }}', text: '{% if event.total > 100 %}Thanks!{% endif %} {{ event | default: "" }}' };
    expect(unknownVariables(flow(send, 'event'), [])).toEqual([]);
    for (const source of ['audience', 'list'] as const) {
      const problems = unknownVariables(flow(send, source), []);
      expect(problems.map((p) => [p.nodeId, p.field, p.severity ?? 'error'])).toEqual([
        [sendId, 'data.subject', 'error'],
        [sendId, 'data.text', 'error'],
      ]);
      expect(problems[0]!.message).toContain(
        "{{ event.… }} prints a property of the API event that starts a journey, and this flow's Trigger is no API event",
      );
    }
  });
});
