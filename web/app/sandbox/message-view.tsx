'use client';

import { useState } from 'react';
import { sandboxedHtml } from '@domain/sandbox-html';
import type { SandboxMessageView } from '@/lib/api-types';
import { Count } from '@/components/count';

const TABS = ['HTML', 'Text', 'Headers', 'Source'] as const;
/** The most of a source shown on the page (a message may be 10 MB); the download has all of it. */
const SHOWN_SOURCE_CHARS = 500_000;
type Tab = (typeof TABS)[number];

/** An opened message, in tabs like Mailpit's: its HTML (in a sandboxed frame), its text part, its headers and its raw source. */
export function MessageView({ message }: { message: SandboxMessageView }) {
  const [tab, setTab] = useState<Tab>(message.html === null ? 'Text' : 'HTML');
  const [source, setSource] = useState<string | null>(null);
  const rawUrl = `/api/sandbox/messages/${message.id}/raw`;
  const tabId = (t: Tab) => `message-${message.id}-${t.toLowerCase()}`;

  function choose(next: Tab) {
    setTab(next);
    if (next === 'Source' && source === null) {
      void fetch(rawUrl).then(async (r) => setSource(r.ok ? await r.text() : `The source could not be loaded (${r.status}).`));
    }
  }

  return (
    <div className="mail-view" data-testid="sandbox-message-view">
      <div className="tabs" role="tablist" aria-label="Message parts">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`${tabId(t)}-tab`}
            aria-selected={tab === t}
            aria-controls={tabId(t)}
            className={`tab ${tab === t ? 'is-active' : ''}`}
            onClick={() => choose(t)}
            data-testid={`message-tab-${t.toLowerCase()}`}
          >
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={tabId(tab)} aria-labelledby={`${tabId(tab)}-tab`} className="tab-panel">
        {tab === 'HTML' &&
          (message.html === null ? (
            <p className="muted">This message has no HTML part: see its text.</p>
          ) : (
            <>
              <p className="muted small">Shown without scripts, and without remote images or fonts (nothing loads from outside the message).</p>
              <iframe
                className="mail-html"
                title={`HTML of "${message.subject}"`}
                sandbox=""
                srcDoc={sandboxedHtml(message.html)}
                data-testid="sandbox-message-html"
              />
            </>
          ))}
        {tab === 'Text' &&
          (message.text ? <pre data-testid="sandbox-message-text">{message.text}</pre> : <p className="muted">This message has no text part.</p>)}
        {tab === 'Headers' && (
          <table className="table table--compact mail-headers" data-testid="sandbox-message-headers">
            <tbody>
              {message.headers.map((h, i) => (
                // Headers repeat (Received), so their place is their key.
                // biome-ignore lint/suspicious/noArrayIndexKey: the list never reorders
                <tr key={i}>
                  <th scope="row">{h.name}</th>
                  <td className="mono header-value">{h.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {tab === 'Source' && (
          <>
            <a className="button" href={rawUrl} download={`message-${message.id}.eml`} data-testid="sandbox-message-download">
              Download .eml
            </a>
            {source !== null && source.length > SHOWN_SOURCE_CHARS && (
              <p className="muted small">
                The first <Count value={SHOWN_SOURCE_CHARS} /> characters of <Count value={source.length} />: download the .eml for all of it.
              </p>
            )}
            <pre data-testid="sandbox-message-source">{source === null ? 'Loading…' : source.slice(0, SHOWN_SOURCE_CHARS)}</pre>
          </>
        )}
      </div>
    </div>
  );
}
