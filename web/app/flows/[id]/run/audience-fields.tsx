'use client';
/**
 * Who a run mails, chosen on purpose (nothing is preselected): everyone subscribed, a list or a segment
 * found by one search over both, or contacts picked one by one (contact-picker.tsx).
 */
import { useState } from 'react';
import { Count, useFormatCount } from '@/components/count';

export type AudienceChoice = { kind: 'all' } | { kind: 'list'; listId: string } | { kind: 'segment'; segmentId: string } | { kind: 'contacts' };

interface Props {
  everyone: number;
  lists: { id: string; name: string; subscribed: number }[];
  segments: { id: string; name: string }[];
  audience: AudienceChoice | null;
  onChange: (audience: AudienceChoice) => void;
}

/** Lists and segments shown at once: more are found by searching. */
const SHOWN = 20;

export function AudienceFields({ everyone, lists, segments, audience, onChange }: Props) {
  const formatCount = useFormatCount();
  const [search, setSearch] = useState('');
  const words = search.trim().toLowerCase();
  const matches = [
    ...lists.map((l) => ({ kind: 'list' as const, id: l.id, name: l.name, note: `list, ${formatCount(l.subscribed)} subscribed` })),
    ...segments.map((s) => ({ kind: 'segment' as const, id: s.id, name: s.name, note: 'segment' })),
  ].filter((m) => m.name.toLowerCase().includes(words));
  const chosenId = audience?.kind === 'list' ? audience.listId : audience?.kind === 'segment' ? audience.segmentId : null;

  return (
    <fieldset className="field" data-testid="audience">
      <legend>Audience</legend>
      <label className="radio">
        <input
          type="radio"
          name="audience"
          checked={audience?.kind === 'all'}
          onChange={() => onChange({ kind: 'all' })}
          data-testid="audience-all"
        />
        Everyone subscribed (<Count value={everyone} /> contact{everyone === 1 ? '' : 's'})
      </label>
      <label className="radio">
        <input
          type="radio"
          name="audience"
          checked={audience?.kind === 'contacts'}
          onChange={() => onChange({ kind: 'contacts' })}
          data-testid="audience-contacts"
        />
        Chosen contacts, found by search
      </label>
      {lists.length + segments.length > 0 && (
        <div className="audience-search">
          <input
            type="search"
            aria-label="Search lists and segments"
            placeholder={`Search ${formatCount(lists.length)} list${lists.length === 1 ? '' : 's'} and ${formatCount(segments.length)} segment${segments.length === 1 ? '' : 's'}`}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            data-testid="audience-search"
          />
          {matches.slice(0, SHOWN).map((m) => (
            <label key={`${m.kind}-${m.id}`} className="radio" data-testid={`audience-${m.kind}-option`}>
              <input
                type="radio"
                name="audience"
                checked={chosenId === m.id && audience?.kind === m.kind}
                onChange={() => onChange(m.kind === 'list' ? { kind: 'list', listId: m.id } : { kind: 'segment', segmentId: m.id })}
                data-testid={`audience-${m.kind}-${m.id}`}
              />
              {m.name} <span className="muted">({m.note})</span>
            </label>
          ))}
          {matches.length === 0 && <p className="muted">No list or segment matches “{search.trim()}”.</p>}
          {matches.length > SHOWN && (
            <p className="muted">
              {formatCount(matches.length - SHOWN)} more match{matches.length - SHOWN === 1 ? 'es' : ''}: type more of the name.
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
