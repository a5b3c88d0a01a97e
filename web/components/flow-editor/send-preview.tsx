'use client';
/**
 * "Preview" in a Send Email node's panel: the message as one contact (or typed sample values) would get
 * it, rendered by the server with the send path's own code, "Send preview to the sandbox" and "Send
 * preview to me" (the signed-in user's own address, with the node's sender). The HTML
 * part shows in an iframe with `sandbox=""` (no script, no same origin, no forms): an email's HTML
 * never runs in the app's origin. Images from other sites stay blank there (the app's Content-Security-
 * Policy, img-src 'self', applies to the frame: opening a preview fetches nothing), and a note says so.
 */
import { useEffect, useId, useState } from 'react';
import { useNodes } from '@xyflow/react';
import type { SendEmailData } from '@domain/flow/nodes/send-email';
import { callApi } from '@/lib/api-client';
import type { ContactPage, PreviewBody, PreviewResponse, PreviewSent } from '@/lib/api-types';
import type { EditorNode } from '@/components/flow-editor/types';
import { Segmented } from '@/components/flow-editor/segmented';

/** `plan=Pro` lines as attributes; numbers and true/false keep their type, as a CSV import reads them. */
function parseAttributes(text: string): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    const raw = line.slice(at + 1).trim();
    attributes[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return attributes;
}

/** The sample event typed as JSON: its properties, nothing when empty, or why it is not an object of properties. */
function parseEvent(text: string): { event?: Record<string, unknown> } | { error: string } {
  if (text.trim() === '') return {};
  try {
    const event: unknown = JSON.parse(text);
    if (event && typeof event === 'object' && !Array.isArray(event)) return { event: event as Record<string, unknown> };
  } catch {
    // said below
  }
  return { error: 'the sample event must be a JSON object of properties, e.g. {"order_id": "A-1001"}' };
}

export function SendPreview({ flowId, data }: { flowId: string; data: SendEmailData }) {
  const id = useId();
  // A journey started by an API event prints its properties: the preview takes a sample event.
  const byEvent = useNodes<EditorNode>().some((n) => n.type === 'trigger' && n.data.source === 'event');
  const [sampleEvent, setSampleEvent] = useState('');
  const [open, setOpen] = useState(false);
  const [contacts, setContacts] = useState<ContactPage['contacts']>([]);
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<'contact' | 'sample'>('contact');
  const [contactId, setContactId] = useState('');
  const [sample, setSample] = useState({ name: 'Ada Lovelace', email: 'ada@example.com', attributes: 'plan=Pro' });
  const [preview, setPreview] = useState<PreviewResponse | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  // The newest contacts, or the ones the search finds (the contacts list's own search, on the server).
  useEffect(() => {
    if (!open) return;
    let current = true;
    const q = query.trim();
    void callApi<ContactPage>('GET', `/api/contacts?limit=${q ? 20 : 50}${q ? `&q=${encodeURIComponent(q)}` : ''}`).then((r) => {
      if (!r.ok || !current) return;
      setContacts(r.data.contacts);
      setContactId((chosen) => (r.data.contacts.some((c) => c.id === chosen) ? chosen : (r.data.contacts[0]?.id ?? '')));
      if (r.data.contacts.length === 0 && !q) setMode('sample');
    });
    return () => {
      current = false;
    };
  }, [open, query]);

  const body = (): PreviewBody => ({
    profileId: data.profileId,
    subject: data.subject,
    text: data.text,
    ...(data.preheader ? { preheader: data.preheader } : {}),
    ...(data.format ? { format: data.format } : {}),
    ...(data.html !== undefined && data.format && data.format !== 'text' ? { html: data.html } : {}),
    ...(data.replyTo ? { replyTo: data.replyTo } : {}),
    ...(mode === 'contact' ? { contactId } : { sample: { name: sample.name, email: sample.email, attributes: parseAttributes(sample.attributes) } }),
    ...(byEvent && 'event' in parsedEvent ? { event: parsedEvent.event as PreviewBody['event'] } : {}),
  });
  const parsedEvent = parseEvent(sampleEvent);

  async function render() {
    if ('error' in parsedEvent) return setMessage({ ok: false, text: parsedEvent.error });
    setBusy(true);
    setMessage(null);
    const result = await callApi<PreviewResponse>('POST', `/api/flows/${flowId}/preview`, body());
    setBusy(false);
    if (result.ok) setPreview(result.data);
    else {
      setPreview(null);
      setMessage({ ok: false, text: result.error.message });
    }
  }

  async function send(to: 'sandbox' | 'me') {
    if ('error' in parsedEvent) return setMessage({ ok: false, text: parsedEvent.error });
    setBusy(true);
    setMessage(null);
    const result = await callApi<PreviewSent>('POST', `/api/flows/${flowId}/preview/${to}`, body());
    setBusy(false);
    if (result.ok) {
      setPreview(result.data.preview);
      setMessage({ ok: result.data.ok, text: result.data.message });
    } else setMessage({ ok: false, text: result.error.message });
  }

  if (!open) {
    return (
      <button type="button" className="button" onClick={() => setOpen(true)} data-testid="preview-open">
        Preview
      </button>
    );
  }
  return (
    <fieldset className="field preview" data-testid="preview">
      <legend>Preview</legend>
      <Segmented
        name={`${id}-mode`}
        value={mode}
        choices={[
          { value: 'contact', label: 'A contact' },
          { value: 'sample', label: 'Sample values' },
        ]}
        onChange={setMode}
      />
      {mode === 'contact' ? (
        <div className="field">
          <label htmlFor={`${id}-search`}>Find a contact</label>
          <input
            id={`${id}-search`}
            className="nodrag"
            type="search"
            placeholder="Email, name or attribute:value"
            value={query}
            onChange={(e) => setQuery(e.currentTarget.value)}
            data-testid="preview-search"
          />
          <label htmlFor={`${id}-contact`}>Contact</label>
          <select
            id={`${id}-contact`}
            className="nodrag"
            value={contactId}
            onChange={(e) => setContactId(e.currentTarget.value)}
            data-testid="preview-contact"
          >
            {contacts.length === 0 && <option value="">No contact found</option>}
            {contacts.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name ? `${c.name} <${c.email}>` : c.email}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <>
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input id={`${id}-name`} className="nodrag" value={sample.name} onChange={(e) => setSample({ ...sample, name: e.currentTarget.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-email`}>Email</label>
            <input
              id={`${id}-email`}
              className="nodrag"
              value={sample.email}
              onChange={(e) => setSample({ ...sample, email: e.currentTarget.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-attributes`}>Attributes, one name=value a line</label>
            <textarea
              id={`${id}-attributes`}
              className="nodrag nowheel"
              rows={3}
              value={sample.attributes}
              onChange={(e) => setSample({ ...sample, attributes: e.currentTarget.value })}
            />
          </div>
        </>
      )}
      {byEvent && (
        <div className="field">
          <label htmlFor={`${id}-event`}>Sample event properties (JSON), for {'{{ event.… }}'}</label>
          <textarea
            id={`${id}-event`}
            className="nodrag nowheel"
            rows={3}
            placeholder='{"order_id": "A-1001"}'
            value={sampleEvent}
            onChange={(e) => setSampleEvent(e.currentTarget.value)}
            data-testid="preview-event"
          />
        </div>
      )}
      <div className="inline-action">
        <button type="button" className="button" onClick={render} disabled={busy} data-testid="preview-render">
          Preview
        </button>
        <button type="button" className="button" onClick={() => send('sandbox')} disabled={busy} data-testid="preview-sandbox">
          Send preview to the sandbox
        </button>
        <button
          type="button"
          className="button"
          onClick={() => send('me')}
          disabled={busy}
          title="To your own address, with this step's sender"
          data-testid="preview-me"
        >
          Send preview to me
        </button>
      </div>
      {message && (
        <p className={`notice notice--${message.ok ? 'success' : 'error'}`} role={message.ok ? 'status' : 'alert'} data-testid="preview-message">
          {message.text}
        </p>
      )}
      {preview && preview.empty.length > 0 && (
        <p className="notice notice--warning" role="status" data-testid="preview-empty">
          {preview.empty.includes('event')
            ? 'Printed empty: {{ event.… }} is what the API event brings; type sample event properties above to see it filled. '
            : ''}
          {preview.empty.some((n) => n !== 'event') &&
            `Printed empty for this contact, who has no value for ${preview.empty
              .filter((n) => n !== 'event')
              .map((n) => `{{ ${n} }}`)
              .join(', ')}: fix the name or give a default (Insert a variable).`}
        </p>
      )}
      {preview && (
        <div className="preview__message" data-testid="preview-result">
          <p>
            <strong>From:</strong> {preview.from}
            <br />
            <strong>To:</strong> {preview.to}
            <br />
            {preview.replyTo && (
              <>
                <strong>Reply-to:</strong> {preview.replyTo}
                <br />
              </>
            )}
            <strong>Subject:</strong> <span data-testid="preview-subject">{preview.subject}</span>
          </p>
          {preview.html !== null && (
            <iframe className="preview__html" title="HTML part" sandbox="" srcDoc={preview.html} data-testid="preview-html" />
          )}
          {preview.html !== null && (
            <p className="hint" data-testid="preview-images-note">
              Images from other sites are not loaded in this preview (nothing leaves Dripline while you edit); they show in the sent email.
            </p>
          )}
          {preview.html !== null && <p className="hint">Text part:</p>}
          <pre className="preview__body" data-testid="preview-text">
            {preview.text}
          </pre>
          <p className="hint">
            Unsubscribe link: <code data-testid="preview-unsubscribe">{preview.unsubscribeUrl}</code>
          </p>
        </div>
      )}
    </fieldset>
  );
}
