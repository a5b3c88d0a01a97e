/**
 * The web app's HTTP server: Next.js behind a thin front that every request passes first (pages, API
 * routes, better-auth's endpoints). It is the one place that sees the TCP peer, so it decides the
 * client's IP (X-Forwarded-For counts only from DRIPLINE_TRUSTED_PROXIES), and it refuses, before
 * reading a byte of the body, what server/http-guard.ts refuses (cross-site writes, non-JSON API
 * bodies, bodies over the route's limit). `tsx scripts/web-server.ts [--dev]`; PORT sets the port.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proxyaddr from 'proxy-addr';
import { readConfig } from '../server/config';
import { MAX_IMPORT_BYTES } from '../domain/contact-import';
import { bodyTimeoutMs, refuseRequest } from '../server/http-guard';

const dev = process.argv.includes('--dev');
// As `next start` / `next dev` set it, before Next (and React) load.
(process.env as Record<string, string>).NODE_ENV = dev ? 'development' : 'production';
const { default: next } = await import('next');
const config = readConfig();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const app = next({ dev, dir: path.join(root, 'web'), port: config.PORT });
const handle = app.getRequestHandler();
const trusted = proxyaddr.compile(config.DRIPLINE_TRUSTED_PROXIES);

/** Headers only a trusted proxy may set; from anyone else they are dropped. */
const PROXY_HEADERS = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip'];

function front(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  // The client: the peer, or, through trusted proxies only, the address they say they forwarded for.
  const client = proxyaddr(req, trusted);
  if (!trusted(req.socket.remoteAddress ?? '', 0)) for (const name of PROXY_HEADERS) delete req.headers[name];
  // better-auth's sign-in rate limit and the per-account lockout read exactly this.
  req.headers['x-forwarded-for'] = client;
  req.headers['x-dripline-client-ip'] = client;

  const pathname = new URL(req.url ?? '/', 'http://front.invalid').pathname;
  const refusal = refuseRequest(config, { method: req.method ?? 'GET', pathname, headers: req.headers });
  if (!refusal) {
    limitBodyTime(req, res, bodyTimeoutMs(config, req.method ?? 'GET', pathname, Number(req.headers['content-length']) || undefined));
    return false;
  }
  // Answered without reading the body; the connection is closed rather than drained.
  res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: { code: refusal.code, message: refusal.message } }));
  return true;
}

/**
 * A request whose body has not all arrived within `ms` is answered 408 and its connection closed. Node's
 * own requestTimeout is one number for every request; this one is sized per route (http-guard.ts).
 */
function limitBodyTime(req: http.IncomingMessage, res: http.ServerResponse, ms: number) {
  if (req.complete) return;
  const timer = setTimeout(() => {
    if (req.complete) return;
    if (res.headersSent) return void req.socket.destroy();
    const message = `the request body did not arrive within ${Math.round(ms / 1000)} s; send it again on a faster connection`;
    res.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
    // Closed once the answer is out (a reset at once could lose it), and for good a second later.
    res.end(JSON.stringify({ error: { code: 'request_timeout', message } }), () => {
      req.socket.end();
      setTimeout(() => req.socket.destroy(), 1_000).unref();
    });
  }, ms);
  res.once('close', () => clearTimeout(timer));
}

await app.prepare();
const server = http.createServer((req, res) => {
  try {
    if (front(req, res)) return;
  } catch (err) {
    // A request line or peer the front cannot read (a malformed URL, a socket already gone).
    console.error('[web] refused a malformed request:', err instanceof Error ? err.message : err);
    res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: { code: 'bad_request', message: 'the request could not be read' } }));
    return;
  }
  handle(req, res).catch((err: unknown) => {
    console.error('[web]', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'internal_error', message: 'something went wrong on the server; see the server log for details' } }));
  });
});
// Like `next start`: slow clients may not hold a connection forever. Node's limit is the largest
// upload's; each request's own (limitBodyTime) is shorter unless it is an upload.
server.requestTimeout = bodyTimeoutMs(config, 'POST', '/api/imports', MAX_IMPORT_BYTES);
server.headersTimeout = 20_000;
server.listen(config.PORT, () => console.log(`[web] listening on port ${config.PORT}${dev ? ' (dev)' : ''}`));

/**
 * A graceful stop: no new connections, requests under way finish (idle keep-alive connections are
 * closed as they free up), then Next closes. Past DRIPLINE_SHUTDOWN_GRACE_SECONDS what is left is cut.
 */
function stop(signal: string) {
  console.log(`[web] ${signal}: finishing the requests under way, then stopping`);
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => {
    console.error(`[web] requests still running after ${config.DRIPLINE_SHUTDOWN_GRACE_SECONDS} s; closing their connections`);
    server.closeAllConnections();
  }, config.DRIPLINE_SHUTDOWN_GRACE_SECONDS * 1000);
  server.close(() => {
    clearInterval(idle);
    clearTimeout(cut);
    void app.close().finally(() => process.exit(0));
  });
  server.closeIdleConnections();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
