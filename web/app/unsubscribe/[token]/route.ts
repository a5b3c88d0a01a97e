/**
 * The public unsubscribe page, the URL every campaign message carries (body link and List-Unsubscribe).
 * No login: the signed token names the contact. GET only shows a confirm button (link scanners and
 * previews fetch it and must not unsubscribe anyone); POST unsubscribes, both from that button and as
 * the one-click POST mail clients send (RFC 8058: body `List-Unsubscribe=One-Click`).
 */
import { getContact, setContactStatus } from '@server/db/contacts';
import { verifyUnsubscribeToken } from '@server/unsubscribe';
import { getDb, getUnsubscribeSecrets } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ token: string }> };

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** a***@example.com: enough for a person to recognise their address, not to read it off a forwarded link. */
function masked(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

function page(status: number, title: string, body: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2937}
button{font:inherit;padding:.5rem 1rem;border-radius:.375rem;border:1px solid #1f2937;background:#1f2937;color:#fff;cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  return new Response(html, {
    status,
    // Referrer-Policy: no-referrer is set in next.config.ts (Next's config headers replace a route's).
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

const invalid = () =>
  page(404, 'This unsubscribe link is not valid', '<p>The link may have been cut short when it was copied. Open it again from the email.</p>');

async function contactFor(token: string) {
  const contactId = verifyUnsubscribeToken(getUnsubscribeSecrets(), token);
  return contactId === null ? null : { contactId, contact: await getContact(await getDb(), contactId) };
}

export async function GET(_request: Request, { params }: Params): Promise<Response> {
  const found = await contactFor((await params).token);
  if (!found) return invalid();
  const { contact } = found;
  if (!contact || contact.status !== 'subscribed') {
    return page(200, 'You are unsubscribed', '<p data-testid="unsubscribe-done">You will not receive these emails any more.</p>');
  }
  return page(
    200,
    'Unsubscribe?',
    `<p>Stop sending emails to <strong>${escapeHtml(masked(contact.email))}</strong>?</p>
<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit" data-testid="unsubscribe-confirm">Unsubscribe</button></form>`,
  );
}

export async function POST(request: Request, { params }: Params): Promise<Response> {
  const found = await contactFor((await params).token);
  if (!found) return invalid();
  const body = (await request.text().catch(() => '')).slice(0, 10_000);
  const oneClick = /List-Unsubscribe=One-Click/i.test(body);
  if (found.contact) {
    // Never lifts a suppression: a bounced address stays suppressed.
    await setContactStatus(
      await getDb(),
      found.contactId,
      'unsubscribed',
      oneClick ? 'one-click unsubscribe from the mail client' : 'unsubscribed with the link in an email',
      ['subscribed'],
    );
  }
  return page(200, 'You are unsubscribed', '<p data-testid="unsubscribe-done">You will not receive these emails any more.</p>');
}
