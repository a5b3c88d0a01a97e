'use client';
/**
 * Above the canvas, when the draft does something the newest published version does not: which steps
 * were added, removed or edited (by their titles) and which connections changed, a note for the next
 * version, and that runs started now still use the published version.
 */
import { useId } from 'react';
import { changeText, type FlowDiff, summarizeDiff } from '@domain/flow/diff';
import { CharacterCount } from '@/components/character-count';

function Changes({ label, items }: { label: string; items: string[] }) {
  if (items.length === 0) return null;
  return (
    <li>
      <strong>{label}:</strong> {items.join('; ')}
    </li>
  );
}

export function DraftBanner(props: { version: number; diff: FlowDiff; note: string; onNote: (note: string) => void }) {
  const { version, diff, note, onNote } = props;
  const noteId = useId();
  return (
    <section className="notice notice--warning draft-banner" aria-label="Unpublished changes" data-testid="draft-banner">
      <p className="draft-banner__title">
        <strong>This draft has unpublished changes.</strong> Runs use version {version} until you publish them as version {version + 1}.
      </p>
      <details className="draft-banner__details">
        <summary data-testid="draft-summary">What changed: {summarizeDiff(diff)}</summary>
        <ul className="draft-banner__changes" data-testid="draft-diff">
          <Changes label="Added" items={diff.added} />
          <Changes label="Removed" items={diff.removed} />
          {diff.edited.map((e) => (
            <li key={`${e.title}|${e.changes.map((c) => c.field).join()}`} data-testid="draft-edited">
              <strong>Edited:</strong> {e.title}
              <ul>
                {e.changes.map((c) => (
                  <li key={c.field}>{changeText(c)}</li>
                ))}
              </ul>
            </li>
          ))}
          <Changes label="Connected" items={diff.connected} />
          <Changes label="Disconnected" items={diff.disconnected} />
        </ul>
      </details>
      <div className="draft-banner__note">
        <label htmlFor={noteId}>Note for version {version + 1}</label>
        <input
          id={noteId}
          type="text"
          value={note}
          maxLength={500}
          placeholder="optional, e.g. Shorter wait"
          onChange={(e) => onNote(e.currentTarget.value)}
          data-testid="publish-note"
        />
        <CharacterCount value={note} max={500} />
      </div>
    </section>
  );
}
