/**
 * Property-based fuzzing of the whole HTTP API (fast-check) against one real product: generated ids,
 * query strings, headers and bodies (broken JSON, arbitrary JSON, valid requests with fields swapped
 * for anything) go to every route handler under web/app/api, each of its methods, as nobody, as an
 * agent and as an admin. Whatever comes in, no answer is a 5xx, none carries a password or the secret
 * key, and none given to anyone but its owner or an admin carries agent A's private flow, messages or
 * SMTP profile. fast-check shrinks a failure to the smallest request that shows it.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowCreated, FlowPublished, RunStarted } from '../../../web/lib/api-types';
import { root } from '../../helpers';
import { agentA, agentB, gmailLikeProfile, Product, type Session, secrets, sendGraph, settledRun } from '../product';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Route {
  /** The route's path with its dynamic segments, e.g. /api/runs/[id]/[action]. */
  pattern: string;
  method: Method;
}

/** Every route handler file under web/app/api and the methods it exports, read from the source. */
function enumerateRoutes(): Route[] {
  const api = path.join(root, 'web', 'app', 'api');
  const files = (fs.readdirSync(api, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'route.ts');
  return files.flatMap((file) => {
    const source = fs.readFileSync(path.join(api, file), 'utf8');
    const methods = new Set<Method>();
    for (const m of source.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1] as Method);
    for (const m of source.matchAll(/export const \{([^}]+)\}/g)) {
      for (const name of m[1]?.split(',') ?? []) if (/^(GET|POST|PUT|PATCH|DELETE)$/.test(name.trim())) methods.add(name.trim() as Method);
    }
    const pattern = `/api/${path.dirname(file).split(path.sep).join('/')}`;
    return [...methods].map((method) => ({ pattern, method }));
  });
}

const routes = enumerateRoutes();

let product: Product;
let sessionA: Session;
let sessionB: Session;
/** What only agent A (and admins) may see: their flow's name and message, their private profile's login and sender. */
const privateOfA = ['Fuzz: the private flow of agent A', 'Fuzz: a private subject of agent A', 'me@gmail.test', 'Me at Gmail'];
/** Ids worth guessing: real ones of every kind, so the fuzzer reaches the code behind the lookups. */
const knownIds: string[] = ['welcome', 'sandbox', 'ct_ada', 'ct_grace', 'ct_linus'];
let forbidden: string[] = [];

beforeAll(async () => {
  // Every fuzzed upload that parses stays waiting to be started: room for all of them, so none is refused before it is read.
  product = await Product.start('security/fuzz', { DRIPLINE_PENDING_UPLOADS_PER_USER: '1000' });
  await product.createAgent(agentA);
  await product.createAgent(agentB);
  sessionA = await product.signIn(agentA);
  sessionB = await product.signIn(agentB);
  const profile = await product.agentLoginProfile(sessionA, 'Private of A');
  const flow = (await sessionA.api<FlowCreated>('POST', '/api/flows', { name: privateOfA[0] })).data.id;
  await sessionA.api('PUT', `/api/flows/${flow}`, { name: privateOfA[0], graph: sendGraph(profile, privateOfA[1]) });
  const version = (await sessionA.api<FlowPublished>('POST', `/api/flows/${flow}/publish`)).data.version;
  const run = (await sessionA.api<RunStarted>('POST', '/api/runs', { flowId: flow, version, contactIds: ['ct_ada'] })).data.runId;
  await settledRun(sessionA, run);
  knownIds.push(profile, flow, run, sessionA.userId, sessionB.userId, product.admin.userId);
  const key = fs.readFileSync(path.join(product.dataDir, 'secret.key'), 'utf8').trim();
  forbidden = [...secrets, key];
});

afterAll(async () => {
  await product?.stop();
});

// ---- what the fuzzer sends ------------------------------------------------------------------------

const printable = fc.string({ unit: fc.constantFrom(...' !"#$&\'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~'.split('')), maxLength: 40 });
const anyText = fc.oneof(printable, fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

/** A path segment: a real id, generated text (encoded), or a raw oddity the router must survive. */
const segment = fc.oneof(
  // Known ids are filled in by beforeAll, before anything is generated.
  { weight: 3, arbitrary: fc.nat().map((n) => knownIds[n % knownIds.length] ?? 'welcome') },
  { weight: 3, arbitrary: anyText.filter((s) => s.length > 0).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('%ZZ', '..', '%2e%2e', '%00', 'a'.repeat(3000), '%F0%9F%92%A9', 'pause', 'resend', 'cancel') },
);
const authPath = fc.oneof(
  fc.constantFrom('get-session', 'sign-in/email', 'list-sessions', 'ok', 'error', 'nope/deeper'),
  fc.stringMatching(/^[a-z-]{1,16}$/),
);

const query = fc.option(
  fc
    .dictionary(fc.constantFrom('offset', 'limit', 'status', 'version', 'x'), fc.oneof(fc.integer({ min: -5, max: 100_000 }).map(String), anyText), {
      maxKeys: 3,
    })
    .map((q) => `?${new URLSearchParams(q)}`),
  { nil: '' },
);

/** Requests the routes would accept, to start from: fuzzing them field by field reaches past the first check. */
function validBodies(): unknown[] {
  return [
    { name: 'Fuzz flow', graph: sendGraph('sandbox', 'Fuzz {{name}}') },
    { name: 'Fuzz' },
    { flowId: 'welcome', version: 1, contactIds: ['ct_ada'] },
    { flowId: 'welcome', version: 1, audience: { kind: 'all' } },
    { email: 'fuzz@example.test', name: 'Fuzz' },
    { subject: 'Fuzz {{name}}', text: 'Hello' },
    { to: 'inbox@example.test' },
    { contactIds: ['ct_ada'] },
    { email: 'fuzz-user@example.test', name: 'Fuzz User', password: 'fuzz-password-123', role: 'agent' },
    { ...gmailLikeProfile(product, 'Fuzz profile'), password: '', username: 'fuzz-user' },
  ];
}

const body = fc.oneof(
  { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 1, arbitrary: anyText },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.nat(),
        fc.dictionary(
          fc.constantFrom(
            'name',
            'graph',
            'flowId',
            'version',
            'audience',
            'contactIds',
            'to',
            'email',
            'subject',
            'text',
            'role',
            'port',
            'secure',
            'ratePerSecond',
            'dailyCap',
            'sharedWith',
            'defaultFor',
            'idempotencyKey',
            'profileId',
            'nodes',
            '__proto__',
            'constructor',
          ),
          fc.anything({ maxDepth: 2 }),
          { maxKeys: 3 },
        ),
      )
      .map(([pick, over]) => {
        const bodies = validBodies();
        return JSON.stringify({ ...(bodies[pick % bodies.length] as object), ...over });
      }),
  },
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      '',
    ),
    'idempotency-key': printable,
    'x-forwarded-for': fc.oneof(fc.ipV4(), printable),
    origin: fc.constantFrom('http://evil.example', 'null', 'ORIGIN'),
    accept: fc.constantFrom('application/json', 'text/html', '*/*'),
  },
  { requiredKeys: [] },
);

type Who = 'anonymous' | 'agent' | 'admin';

interface Call {
  who: Who;
  route: Route;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const call: fc.Arbitrary<Call> = fc
  .record({
    who: fc.constantFrom<Who>('anonymous', 'agent', 'admin'),
    route: fc.constantFrom(...routes),
    segments: fc.array(segment, { minLength: 2, maxLength: 2 }),
    auth: authPath,
    query,
    headers,
    body,
  })
  // Signed in, better-auth's own routes get only harmless paths: a fuzzed sign-out or admin/* would end the session under test.
  .filter(({ who, route, auth }) => who === 'anonymous' || !route.pattern.includes('[...all]') || auth === 'get-session')
  // Nor may an admin's fuzzed DELETE delete the agents whose sessions the test uses, or the flows it reads (agents and nobody still fuzz them).
  .filter(({ who, route }) => !(who === 'admin' && ['/api/users/[id]', '/api/flows/[id]'].includes(route.pattern) && route.method === 'DELETE'))
  .map(({ who, route, segments, auth, query: q, headers: h, body: b }) => {
    let i = 0;
    const url = route.pattern.replace(/\[\.\.\.all\]/, auth).replace(/\[[a-z]+\]/g, () => segments[i++] ?? 'x') + q;
    const sent: Record<string, string> = { ...h };
    if (sent.origin === 'ORIGIN') sent.origin = product.web;
    return { who, route, url, headers: sent, body: route.method === 'GET' ? undefined : b };
  });

async function send(c: Call): Promise<{ status: number; text: string }> {
  const session = c.who === 'admin' ? product.admin : c.who === 'agent' ? sessionB : undefined;
  const res = await fetch(`${product.web}${c.url}`, {
    method: c.route.method,
    redirect: 'manual',
    headers: { ...c.headers, ...(session ? { cookie: session.cookie } : {}) },
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  return { status: res.status, text: await res.text() };
}

describe('fuzzing every API route', () => {
  it('found the routes to fuzz in web/app/api', () => {
    const patterns = new Set(routes.map((r) => r.pattern));
    expect(patterns.size).toBeGreaterThanOrEqual(17);
    expect(routes).toEqual(
      expect.arrayContaining([
        { pattern: '/api/flows/[id]', method: 'PUT' },
        { pattern: '/api/auth/[...all]', method: 'POST' },
      ]),
    );
  });

  it('answers whatever it is sent without a 5xx, a password, the key, or agent A’s private data', async () => {
    /** Answers by who asked and status class: the fuzzing must get past sign-in and validation, not only bounce off them. */
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const { status, text } = await send(c);
        const bucket = `${c.who} ${Math.floor(status / 100)}xx`;
        seen[bucket] = (seen[bucket] ?? 0) + 1;
        const where = `${c.who} ${c.route.method} ${c.url} → ${status}: ${text.slice(0, 300)}`;
        expect(status, where).toBeLessThan(500);
        for (const secret of forbidden) expect(text.includes(secret), `${where}\ncarries a password or the key`).toBe(false);
        expect(text, where).not.toMatch(/passwordEnc|password_enc/);
        if (c.who !== 'admin') {
          // Unless the request itself carried it (an echo is not a leak).
          for (const mark of privateOfA) {
            if (!(c.body ?? '').includes(mark) && !c.url.includes(encodeURIComponent(mark))) {
              expect(text.includes(mark), `${where}\ncarries agent A's private "${mark}"`).toBe(false);
            }
          }
        }
      }),
      // Bounded: a few hundred requests against one product. FUZZ_SEED replays a run fast-check reported.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500), ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
    );
    console.log('[fuzz] answers by who asked and status class:', JSON.stringify(seen));
    expect(seen['agent 2xx'] ?? 0, 'agent requests that succeeded').toBeGreaterThan(0);
    expect(seen['admin 2xx'] ?? 0, 'admin requests that succeeded').toBeGreaterThan(0);
  }, 600_000);
});

// ---- hostile CSV uploads ----------------------------------------------------------------------------

/** A first line meant to hurt a CSV parser: very wide, very long, unbalanced quotes, BOMs, control characters. */
const hostileHeader = fc.oneof(
  fc.integer({ min: 0, max: 300_000 }).map((n) => ','.repeat(n)),
  fc.tuple(fc.integer({ min: 1, max: 3_000 }), printable).map(([n, name]) => Array(n).fill(name).join(',')),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `email,${'x'.repeat(n)}`),
  fc.integer({ min: 1, max: 50_000 }).map((n) => `"${'a,\n'.repeat(n)}`),
  fc.constantFrom('"', '"""', '"a\n,b"', '\uFEFF\uFEFFemail', '\r\r\r', '\0,\0', 'email,"name', '', ' '),
  anyText,
);
const hostileCsv = fc
  .record({
    bom: fc.boolean(),
    header: hostileHeader,
    rows: fc.array(fc.oneof(anyText, hostileHeader, fc.constant('ann@example.test,Ann')), { maxLength: 4 }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
  })
  .map(({ bom, header, rows, eol }) => `${bom ? '\uFEFF' : ''}${[header, ...rows].join(eol)}${eol}`);

describe('fuzzing the CSV upload', () => {
  it('answers every hostile CSV without a 5xx, and the web process stays up', async () => {
    const statuses: Record<number, number> = {};
    const web = async () => (await product.inspect()).processes.filter((p) => p.command.includes('scripts/web-server.ts')).map((p) => p.pid);
    const before = await web();
    await fc.assert(
      fc.asyncProperty(hostileCsv, anyText, async (csv, name) => {
        const res = await fetch(`${product.web}/api/imports?name=${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { cookie: product.admin.cookie, origin: product.web, 'content-type': 'text/csv' },
          body: csv,
        });
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const where = `${csv.length} characters starting ${JSON.stringify(csv.slice(0, 80))} → ${res.status}: ${text.slice(0, 300)}`;
        expect(res.status, where).toBeLessThan(500);
      }),
      { numRuns: Number(process.env.FUZZ_CSV_RUNS ?? 60), ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
    );
    console.log('[fuzz] CSV uploads by status:', JSON.stringify(statuses));
    expect(statuses[422] ?? 0, 'hostile files refused').toBeGreaterThan(0);
    expect(await web()).toEqual(before);
    expect(product.output).not.toMatch(/\[dripline\] web \(pid \d+\) exited/);
  }, 600_000);
});

// ---- hostile templates --------------------------------------------------------------------------

/** Liquid that loops, prints without end, reads files, or does not parse; mixed with any text. */
const hostileFragment = fc.constantFrom(
  '{% for i in (1..10000000) %}{% endfor %}',
  '{% for i in (1..3000) %}{% for j in (1..3000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}',
  `{% assign a = "${'x'.repeat(200)}" | split: "" %}{% for i in a %}{% for j in a %}{% for k in a %}{% endfor %}{% endfor %}{% endfor %}`,
  '{% capture c %}{% for i in (1..100000) %}zz{% endfor %}{% endcapture %}{{ c }}{{ c }}{{ c }}{{ c }}{{ c }}{{ c }}',
  '{{ name | raw }}',
  "{% include '/etc/passwd' %}",
  '{% render "x" %}',
  '{% layout "x" %}',
  '{{ name | nofilter }}',
  '{{ name.constructor.constructor }}',
  '{{ missing.deeper.still }}',
  '{{ 1 | times: 1e308 | times: 1e308 }}',
  '{{ "x" | append: name | split: "" | join: "yy" }}',
  '{{',
  '{% if %}',
  '{% endfor %}',
  '{% for %}',
  `${'{% if name %}'.repeat(500)}deep`,
  '<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>',
);
const hostileTemplate = fc
  .array(fc.oneof({ weight: 3, arbitrary: hostileFragment }, { weight: 1, arbitrary: anyText }), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join(''));
const hostileMessage = fc.record({
  subject: hostileTemplate,
  text: hostileTemplate,
  html: fc.option(hostileTemplate, { nil: undefined }),
  format: fc.constantFrom('html', 'mjml'),
  publish: fc.boolean(),
});

describe('fuzzing templates', () => {
  it('renders hostile templates at preview and publish without a 5xx, and the product keeps answering', async () => {
    const flows = new Map<Session, string>();
    for (const session of [product.admin, sessionB]) {
      const id = (await session.api<FlowCreated>('POST', '/api/flows', { name: 'Fuzz: templates' })).data.id;
      flows.set(session, id);
    }
    let turn = 0;
    const statuses: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(hostileMessage, async (m) => {
        // Two users in turn: each stays under the per-user limits most of the time (a 429 is an answer too).
        const session = turn++ % 2 === 0 ? product.admin : sessionB;
        const flowId = flows.get(session) ?? '';
        const data = { profileId: 'sandbox', subject: m.subject, text: m.text, ...(m.html !== undefined ? { html: m.html, format: m.format } : {}) };
        const answers = [
          await session.api('POST', `/api/flows/${flowId}/preview`, { ...data, sample: { email: 'ada@example.test', attributes: {} } }),
        ];
        if (m.publish) {
          const graph = sendGraph('sandbox', 'Fuzz {{name}}');
          const node = graph.nodes.find((n) => n.type === 'sendEmail');
          if (node) node.data = data as never;
          answers.push(await session.api('PUT', `/api/flows/${flowId}`, { name: 'Fuzz: templates', graph }));
          answers.push(await session.api('POST', `/api/flows/${flowId}/publish`));
        }
        for (const answer of answers) {
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          expect(answer.status, `${answer.url} → ${answer.text.slice(0, 300)}`).toBeLessThan(500);
        }
      }),
      { numRuns: Number(process.env.FUZZ_TEMPLATE_RUNS ?? 40), ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
    );
    console.log('[fuzz] template answers by status:', JSON.stringify(statuses));
    // Some were refused with a 422: the fuzzer reached the template checks, not only the limits.
    expect(statuses['422'] ?? 0).toBeGreaterThan(0);
    expect((await fetch(`${product.web}/api/v1/openapi.json`)).status).toBe(200);
    expect((await product.admin.api('GET', `/api/flows/${flows.get(product.admin)}`)).status).toBe(200);
  }, 600_000);
});
