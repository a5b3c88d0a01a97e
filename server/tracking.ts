/**
 * Opens and clicks, for flows whose owner switched "Track opens and clicks" on. When a message is
 * rendered, each http(s) link of its HTML and text parts becomes `<public URL>/t/c/<token>` and the HTML
 * gets an open pixel `<public URL>/t/o/<token>.gif`. A token is the run, the Send step, the contact (and
 * for a click the link's place and its address), signed with HMAC-SHA256 by the install's secret key:
 * the redirect only ever goes to an address that was in the message (a changed token is refused, never
 * followed), and nobody can make up an open or a click. The unsubscribe link and `mailto:` links stay as
 * they are.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CONTROL_CHARACTERS } from '../domain/text';

/** Whose message a token is about: the same triple as the send ledger's key. */
export interface TrackedMessage {
  runId: string;
  nodeId: string;
  contactId: string;
}

export type TrackingToken = (TrackedMessage & { kind: 'open' }) | (TrackedMessage & { kind: 'click'; linkIndex: number; url: string });

const SIGNATURE = /^[A-Za-z0-9_-]{32}$/;
/** A token longer than this is junk (a link address is at most 2,000 characters in the message). */
const MAX_TOKEN = 4000;

const signature = (secret: Buffer, kind: string, payload: string) =>
  createHmac('sha256', secret).update(`track-${kind}\n${payload}`).digest('base64url').slice(0, 32);

export function trackingToken(secret: Buffer, token: TrackingToken): string {
  const fields = [token.runId, token.nodeId, token.contactId, ...(token.kind === 'click' ? [token.linkIndex, token.url] : [])];
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${signature(secret, token.kind, payload)}`;
}

type OfKind<K> = Extract<TrackingToken, { kind: K }>;

/** What a token says, or null when it is not one these keys signed for this kind (changed, cut short, made up). */
export function verifyTrackingToken<K extends TrackingToken['kind']>(secrets: Buffer[], kind: K, token: string): OfKind<K> | null;
export function verifyTrackingToken(secrets: Buffer[], kind: TrackingToken['kind'], token: string): TrackingToken | null {
  if (token.length > MAX_TOKEN) return null;
  const [payload, given, extra] = token.split('.');
  if (!payload || !given || extra !== undefined || !SIGNATURE.test(given)) return null;
  const signed = secrets.some((secret) => {
    const expected = Buffer.from(signature(secret, kind, payload));
    return timingSafeEqual(expected, Buffer.from(given));
  });
  if (!signed) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || !fields.slice(0, 3).every((f) => typeof f === 'string')) return null;
  const [runId, nodeId, contactId, linkIndex, url] = fields as [string, string, string, unknown, unknown];
  if (kind === 'open') return fields.length === 3 ? { kind, runId, nodeId, contactId } : null;
  if (fields.length !== 5 || typeof linkIndex !== 'number' || typeof url !== 'string' || !isWebLink(url)) return null;
  return { kind, runId, nodeId, contactId, linkIndex, url };
}

/** An http(s) address with no white space or control characters (it goes into a Location header as it is). */
const isWebLink = (url: string) => /^https?:\/\/\S+$/i.test(url) && !CONTROL_CHARACTERS.test(url);
const base = (publicUrl: string) => publicUrl.replace(/\/+$/, '');
const unescapeHtml = (s: string) =>
  s.replace(
    /&(amp|quot|#39|#x27|lt|gt);/gi,
    (_, e: string) => ({ amp: '&', quot: '"', '#39': "'", '#x27': "'", lt: '<', gt: '>' })[e.toLowerCase()] ?? _,
  );
const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export interface TrackingOptions {
  /** DRIPLINE_PUBLIC_URL: where /t/c/… and /t/o/… are served. */
  publicUrl: string;
  secret: Buffer;
  message: TrackedMessage;
}

/**
 * The rendered parts with their links tracked and the pixel added. Links are numbered by address in
 * the order they first appear (HTML first), so the same address in both parts is one link. Left alone:
 * anything but http(s) (mailto:, tel:, anchors), links to the install's unsubscribe page, and links
 * already tracked.
 */
export function trackLinks(parts: { html?: string | undefined; text: string }, options: TrackingOptions): { html?: string; text: string } {
  const root = base(options.publicUrl);
  const links: string[] = [];
  const tracked = (url: string): string | undefined => {
    if (!isWebLink(url) || url.startsWith(`${root}/unsubscribe/`) || url.startsWith(`${root}/t/`) || url.length > 2000) return undefined;
    let linkIndex = links.indexOf(url);
    if (linkIndex < 0) linkIndex = links.push(url) - 1;
    return `${root}/t/c/${trackingToken(options.secret, { kind: 'click', ...options.message, linkIndex, url })}`;
  };
  let html = parts.html;
  if (html !== undefined) {
    html = html.replace(/(<a\b[^>]*?\bhref\s*=\s*)("([^"]*)"|'([^']*)')/gi, (all, head: string, _q, double?: string, single?: string) => {
      const url = unescapeHtml((double ?? single ?? '').trim());
      const to = tracked(url);
      return to ? `${head}"${escapeAttribute(to)}"` : all;
    });
    const pixel = `<img src="${root}/t/o/${trackingToken(options.secret, { kind: 'open', ...options.message })}.gif" width="1" height="1" alt="" style="border:0;width:1px;height:1px">`;
    const end = html.search(/<\/body>/i);
    html = end >= 0 ? `${html.slice(0, end)}${pixel}${html.slice(end)}` : `${html}${pixel}`;
  }
  const text = parts.text.replace(/https?:\/\/[^\s<>"'()[\]]+/gi, (url) => {
    // A sentence's full stop or comma after a link is not part of it.
    const trail = /[.,;:!?]+$/.exec(url)?.[0] ?? '';
    const bare = url.slice(0, url.length - trail.length);
    const to = tracked(bare);
    return to ? `${to}${trail}` : url;
  });
  return { ...(html !== undefined ? { html } : {}), text };
}

/** How soon after delivery a fetch is taken for a machine's: a privacy proxy or a scanner fetches as the message arrives. */
export const PREFETCH_MS = 10_000;

/** Proxies that fetch images for the reader (Apple Mail Privacy Protection sends a bare "Mozilla/5.0"), and link scanners and bots. */
const OPEN_PROXY = /GoogleImageProxy|YahooMailProxy|ggpht\.com|^Mozilla\/5\.0$/i;
const LINK_SCANNER =
  /bot\b|crawler|spider|scanner|preview|python-requests|curl\/|wget|go-http-client|java\/|okhttp|barracuda|proofpoint|mimecast|urldefense|safelinks/i;

/**
 * Whether an open or a click is a machine's rather than a person's: an open fetched by a known image
 * proxy or within PREFETCH_MS of delivery, a click by a known link scanner or with no user agent.
 * `sentAt`: when the message was accepted (ms), unknown for a message not in the ledger.
 */
export function isMachine(kind: 'open' | 'click', userAgent: string, at: number, sentAt: number | undefined): boolean {
  const agent = userAgent.trim();
  if (agent === '') return true;
  if (kind === 'click') return LINK_SCANNER.test(agent);
  return OPEN_PROXY.test(agent) || LINK_SCANNER.test(agent) || (sentAt !== undefined && at - sentAt < PREFETCH_MS);
}
