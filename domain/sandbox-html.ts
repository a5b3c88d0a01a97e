/**
 * An email's HTML as the sandbox mailbox shows it: the document of an iframe with `sandbox=""` (no
 * scripts, no forms, an origin of its own), headed by a Content-Security-Policy that loads nothing
 * from anywhere (remote images and fonts included: opening a message tells no tracker), and allows
 * only the message's own inline styles and data: images. The policy comes first, so nothing in the
 * message loads before it applies; a later policy in the message can only restrict more.
 */
export const SANDBOX_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";

export function sandboxedHtml(html: string): string {
  return `<!doctype html><meta http-equiv="Content-Security-Policy" content="${SANDBOX_HTML_POLICY}"><meta charset="utf-8">${html}`;
}
