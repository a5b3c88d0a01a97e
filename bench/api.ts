/** The bench's client of the web app's HTTP API, signed in as the first admin. */
import type { Audience } from '../domain/audience';
import type { FlowGraph } from '../domain/flow/schema';

export interface RunView {
  run: { id: string; status: 'running' | 'paused' | 'cancelled' | 'completed' };
  counts: {
    completed: number;
    failed: number;
    sending: number;
    retrying: number;
    waiting: number;
    due: number;
    cancelled: number;
    messagesSent: number;
  };
}

export class Api {
  private constructor(
    readonly web: string,
    private readonly cookie: string,
  ) {}

  /** Signs in through better-auth; waits out its sign-in rate limit if hit. */
  static async signIn(web: string, email: string, password: string): Promise<Api> {
    for (let tries = 0; tries < 10; tries++) {
      const res = await fetch(`${web}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: web },
        body: JSON.stringify({ email, password }),
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status === 429) {
        await new Promise((r) => setTimeout(r, (Number(res.headers.get('x-retry-after')) || 2) * 1000 + 200));
        continue;
      }
      if (res.status !== 200) throw new Error(`sign-in as ${email}: HTTP ${res.status} ${await res.text()}`);
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      if (!cookie.includes('session_token=')) throw new Error(`sign-in as ${email} gave no session cookie`);
      return new Api(web, cookie);
    }
    throw new Error(`sign-in as ${email} stayed rate limited`);
  }

  async call<T>(method: string, url: string, body?: unknown, expect: number[] = [200, 201]): Promise<T> {
    const res = await fetch(`${this.web}${url}`, {
      method,
      headers: { 'content-type': 'application/json', origin: this.web, cookie: this.cookie },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** POSTs a streamed body (a CSV upload: never whole in the bench's memory either). */
  async upload<T>(url: string, body: ReadableStream<Uint8Array>, contentType: string, bytes: number): Promise<T> {
    const res = await fetch(`${this.web}${url}`, {
      method: 'POST',
      // The web front refuses a body without a length (411) before reading it.
      headers: { 'content-type': contentType, 'content-length': String(bytes), origin: this.web, cookie: this.cookie },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${url}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  /** Creates a flow, saves the graph as its draft and publishes it; returns its id and version. */
  async publishFlow(name: string, graph: FlowGraph): Promise<{ flowId: string; version: number }> {
    const { id } = await this.call<{ id: string }>('POST', '/api/flows', { name });
    await this.call('PUT', `/api/flows/${id}`, { name, graph });
    const { version } = await this.call<{ version: number }>('POST', `/api/flows/${id}/publish`);
    return { flowId: id, version };
  }

  async startRun(flowId: string, version: number, idempotencyKey: string, audience: Audience = { kind: 'all' }): Promise<string> {
    const { runId } = await this.call<{ runId: string }>('POST', '/api/runs', { flowId, version, audience, idempotencyKey }, [201]);
    return runId;
  }

  getRun(runId: string): Promise<RunView> {
    return this.call<RunView>('GET', `/api/runs/${runId}`);
  }

  /**
   * Sets a profile's messages per second (null: no limit) as its settings page would: the whole form, saved,
   * the rest unchanged but the daily cap, lifted (a bench run sends more than a day's default cap).
   */
  async setRateLimit(profileId: string, ratePerSecond: number | null): Promise<void> {
    // The view holds every field of the form (the API ignores the others); sharing is left as it is.
    const { sharedWith: _s, defaultFor: _d, ...view } = await this.call<Record<string, unknown>>('GET', `/api/smtp-profiles/${profileId}`);
    if (view.ratePerSecond === ratePerSecond && view.dailyCap === null) return;
    await this.call('PUT', `/api/smtp-profiles/${profileId}`, { ...view, ratePerSecond, dailyCap: null });
    const saved = await this.call<{ ratePerSecond: number | null }>('GET', `/api/smtp-profiles/${profileId}`);
    if (saved.ratePerSecond !== ratePerSecond)
      throw new Error(`profile ${profileId}: saved ratePerSecond ${ratePerSecond}, reads back ${saved.ratePerSecond}`);
  }

  /** Points a profile at another SMTP server (no TLS): the bench's Postfix, in front of the sandbox. */
  async setServer(profileId: string, host: string, port: number): Promise<void> {
    const { sharedWith: _s, defaultFor: _d, ...view } = await this.call<Record<string, unknown>>('GET', `/api/smtp-profiles/${profileId}`);
    await this.call('PUT', `/api/smtp-profiles/${profileId}`, { ...view, host, port });
  }
}

/** Trigger → Send Email (the given profile) → Exit. */
export function sendOnceGraph(profileId: string): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      {
        id: 'send',
        type: 'sendEmail',
        position: { x: 0, y: 140 },
        data: { profileId, subject: 'Bench for {{name}}', text: 'Hello {{name}},\n\nthis is a benchmark message.\n' },
      },
      { id: 'done', type: 'exit', position: { x: 0, y: 280 }, data: {} },
    ],
    edges: [
      { id: 'e-trigger-send', source: 'trigger', target: 'send' },
      { id: 'e-send-done', source: 'send', target: 'done' },
    ],
  };
}
