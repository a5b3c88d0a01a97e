/**
 * Templates cannot hold the web app (server/templates.ts): while a publish renders a subject that loops
 * for ever and while a preview compiles an MJML body that takes seconds, cheap requests are answered,
 * before the hostile one, which comes back as an error naming the field and the fix. Previews and
 * publishes are limited per user (429 with Retry-After). Against `npm start`'s whole product.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowCreated, FlowPublished } from '../../../web/lib/api-types';
import { type Answer, Product, sendGraph, type Session } from '../product';

let product: Product;
let admin: Session;

beforeAll(async () => {
  product = await Product.start('security/templates');
  admin = product.admin;
});

afterAll(async () => {
  await product?.stop();
});

/** A billion turns of a loop, in a subject (under 998 characters, under every memory limit): only time stops it. */
const LOOP = `{% assign a = "${'x'.repeat(200)}" | split: "" %}{% for i in a %}{% for j in a %}{% for k in a %}{% for l in a %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}`;
/** MJML near the 200,000 characters a body may have: seconds of compiling. */
const SECTION = '<mj-section><mj-column><mj-text>Hello {{ name }}</mj-text></mj-column></mj-section>';
const HEAVY_MJML = `<mjml><mj-body>${SECTION.repeat(Math.floor(199_000 / SECTION.length))}</mj-body></mjml>`;

async function newFlow(subject: string, text?: string): Promise<string> {
  const id = (await admin.api<FlowCreated>('POST', '/api/flows', {})).data.id;
  expect((await admin.api('PUT', `/api/flows/${id}`, { name: `Templates ${id}`, graph: sendGraph('sandbox', subject, text) })).status).toBe(200);
  return id;
}

/**
 * Starts the hostile request and, until it is answered, sends cheap ones one after another: how many
 * were answered before it. A web app whose event loop the template held would answer at most the one
 * that got in before the render started; one that renders in its template threads answers them all.
 * (An ordering, not a timing: the machine running the tests may be as slow as it likes.)
 */
async function cheapDuring<T>(hostile: () => Promise<Answer<T>>): Promise<{ answeredBefore: number; answer: Answer<T> }> {
  let done = false;
  const slow = hostile().then((answer) => {
    done = true;
    return answer;
  });
  let answeredBefore = 0;
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    const cheap = await fetch(`${product.web}/api/v1/openapi.json`);
    expect(cheap.status).toBe(200);
    await cheap.arrayBuffer();
    latencies.push(Math.round(performance.now() - started));
    if (!done) answeredBefore++;
  }
  console.log(`[templates] cheap requests answered during the hostile one: ${answeredBefore}, in ms: ${latencies.join(', ')}`);
  return { answeredBefore, answer: await slow };
}

describe('hostile templates', () => {
  it('publishing a subject that loops for ever holds no other request, and answers 422 naming the subject and the fix', async () => {
    // Subject and text both loop: a web app that rendered them itself would be held for each in turn.
    const flowId = await newFlow(`Hi {{ name }}${LOOP}`, `Hello {{ name }}${LOOP}`);
    // Warm: the cheap route compiled and cached, as it is in use.
    expect((await fetch(`${product.web}/api/v1/openapi.json`)).status).toBe(200);
    const { answeredBefore, answer } = await cheapDuring(() => admin.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`));
    expect(answeredBefore).toBeGreaterThanOrEqual(3);
    expect(answer.status).toBe(422);
    expect(answer.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'data.subject', message: 'the template took longer than 1 s to render: simplify its loops' }),
      ]),
    );
  });

  it('previewing a huge MJML body holds no other request, and answers 422 on the HTML field', async () => {
    const flowId = await newFlow('Hi {{ name }}');
    const body = { profileId: 'sandbox', subject: 'Hi', text: '', format: 'mjml', html: HEAVY_MJML, sample: { email: 'ada@example.test' } };
    const { answeredBefore, answer } = await cheapDuring(() => admin.api('POST', `/api/flows/${flowId}/preview`, body));
    expect(answeredBefore).toBeGreaterThanOrEqual(3);
    expect(answer.status).toBe(422);
    expect(answer.error).toMatchObject({ code: 'invalid_template', message: 'MJML: the MJML took longer than 3 s to compile: shorten it' });
  });

  it('a user past 10 publishes a minute gets 429 with Retry-After and a clear message', async () => {
    const flowId = await newFlow('Hi {{ name }}');
    let answer: Answer<FlowPublished> | undefined;
    // The publish above was this admin's first; the limit is 10 a minute.
    for (let i = 0; i < 10; i++) {
      answer = await admin.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`);
      if (answer.status === 429) break;
      expect(answer.status).toBe(200);
    }
    expect(answer?.status).toBe(429);
    expect(answer?.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/^Publishing: at most 10 a minute; try again in \d+ s$/),
    });
    const retry = await fetch(`${product.web}/api/flows/${flowId}/publish`, {
      method: 'POST',
      headers: { cookie: admin.cookie, origin: product.web, 'content-type': 'application/json' },
    });
    expect(retry.status).toBe(429);
    expect(Number(retry.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
