/** The template threads (server/templates.ts): a hostile template holds a thread, is stopped at its limits with the field named, and the pool goes on. */
import { afterAll, describe, expect, it } from 'vitest';
import { checkTemplate, knownVariables } from '../server/email-content';
import { checkInThread, MAX_RENDERED_CHARS, renderFields, TemplatePool, TemplateRenderError } from '../server/templates';

const pool = new TemplatePool(1);
afterAll(() => pool.close());

/** A billion turns of a loop, under every memory limit: only time stops it. */
const LONG_LOOP = `{% assign a = "${'x'.repeat(1000)}" | split: "" %}{% for i in a %}{% for j in a %}{% for k in a %}{% endfor %}{% endfor %}{% endfor %}`;

describe('the template pool', () => {
  it('terminates a thread that overruns its time, answers with the time problem, and renders the next job in a new thread', async () => {
    const slow = await pool.run({ type: 'render', fields: [{ name: 'subject', source: LONG_LOOP, kind: 'text' }], scope: {} }, 50);
    expect(slow).toEqual({ problem: { kind: 'time', message: 'over 50 ms' } });
    expect(pool.replaced).toBe(1);
    const next = await pool.run(
      { type: 'render', fields: [{ name: 'subject', source: 'Hi {{ name }}', kind: 'text' }], scope: { name: 'Ada' } },
      5_000,
    );
    expect(next).toEqual({ out: { subject: 'Hi Ada' } });
  });

  it('a job queued behind one that overruns still runs (the pool starts a thread for it)', async () => {
    const jobs = [
      pool.run({ type: 'render', fields: [{ name: 'text', source: LONG_LOOP, kind: 'text' }], scope: {} }, 50),
      pool.run({ type: 'render', fields: [{ name: 'text', source: '{{ plan | upcase }}', kind: 'text' }], scope: { plan: 'pro' } }, 5_000),
    ];
    const [slow, quick] = await Promise.all(jobs);
    expect(slow).toMatchObject({ problem: { kind: 'time' } });
    expect(quick).toEqual({ out: { text: 'PRO' } });
  });

  it('a thread that cannot start answers its jobs with why, instead of starting threads in a loop', async () => {
    const broken = new TemplatePool(1, '/nonexistent/template-thread.cjs');
    const answer = await broken.run({ type: 'mjml', source: '<mjml></mjml>' }, 5_000);
    expect(answer).toMatchObject({ problem: { kind: 'template', message: expect.stringContaining('the template thread could not start') } });
    broken.close();
  });

  it('a request out of time gets no thread at all', async () => {
    expect(await pool.run({ type: 'mjml', source: '<mjml></mjml>' }, 5_000, Date.now() - 1)).toEqual({
      problem: { kind: 'request', message: 'out of time' },
    });
  });
});

describe('rendering for a contact', () => {
  it('a field that takes too long is an error naming it and the fix', async () => {
    const rendering = renderFields([{ name: 'subject', source: LONG_LOOP, kind: 'text' }], {});
    await expect(rendering).rejects.toBeInstanceOf(TemplateRenderError);
    await expect(rendering).rejects.toMatchObject({
      code: 'EMESSAGE',
      field: 'subject',
      message: expect.stringContaining('Subject: the template took longer than 1 s to render: simplify its loops'),
    });
  });

  it('a 1 KB template that would print hundreds of megabytes stops at the cap, naming the field', async () => {
    const source = `{% for i in (1..3000) %}{% for j in (1..3000) %}${'x'.repeat(30)}{% endfor %}{% endfor %}`;
    expect(source.length).toBeLessThan(1024);
    await expect(renderFields([{ name: 'html', source, kind: 'html' }], {})).rejects.toMatchObject({
      field: 'html',
      message: expect.stringContaining(`HTML body: the template printed more than ${MAX_RENDERED_CHARS} characters`),
    });
  });

  it('`raw` prints a contact value escaped in the HTML part', async () => {
    const out = await renderFields([{ name: 'html', source: '<p>{{ name | raw }}</p>', kind: 'html' }], { name: '<img src=x onerror=alert(1)>' });
    expect(out.html).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
  });
});

describe('publish checks', () => {
  it('find every unknown variable in one render: the thread answers them all at once', async () => {
    const answer = await checkInThread('{{ a }} {% for i in (1..3) %}{{ b }}{% endfor %} {{ c | default: "x" }} {{ name }} {{ d.e }}', 'text', {
      name: 'sample',
    });
    expect(answer).toMatchObject({ unknown: [{ name: 'a' }, { name: 'b' }, { name: 'd' }], errors: [] });
    if ('globals' in answer) expect(answer.globals.sort()).toEqual(['a', 'b', 'c', 'd', 'name']);
  });

  it('a template too slow or too large with sample values is an error on its field', async () => {
    const [slow] = await checkTemplate('n1', 'data.subject', LONG_LOOP, 'text', knownVariables([]));
    expect(slow).toMatchObject({ nodeId: 'n1', field: 'data.subject', message: expect.stringContaining('took longer than 1 s') });
    const [large] = await checkTemplate('n1', 'data.text', '{% for i in (1..100000) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}', 'text', knownVariables([]));
    expect(large).toMatchObject({ field: 'data.text', message: expect.stringContaining('printed more than') });
    expect(large?.severity).toBeUndefined();
  });
});
