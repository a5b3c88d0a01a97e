'use client';
/**
 * "Import" on the flows list: reads an exported flow file, and when its Send nodes name SMTP profiles
 * this user cannot use here, asks for a replacement for each before the new draft is created.
 */
import { useRouter } from 'next/navigation';
import { useId, useRef, useState } from 'react';
import type { UnmappedProfile } from '@server/portable';
import { AGENT_DEFAULT, AGENT_DEFAULT_LABEL } from '@domain/senders';
import { callApi } from '@/lib/api-client';
import type { FlowImported, ImportFlowBody, SmtpProfileList } from '@/lib/api-types';

interface Mapping {
  file: unknown;
  unmapped: UnmappedProfile[];
  profiles: { id: string; name: string; fromEmail: string }[];
  choice: Record<string, string>;
}

function fieldsOf(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((d: unknown) => (d && typeof d === 'object' && 'message' in d && typeof d.message === 'string' ? [d.message] : []));
}

export function ImportFlowButton() {
  const router = useRouter();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [mapping, setMapping] = useState<Mapping | null>(null);

  async function submit(file: unknown, profileMap: Record<string, string> = {}) {
    setBusy(true);
    setErrors([]);
    const result = await callApi<FlowImported>('POST', '/api/flows/import', { file, profileMap } satisfies ImportFlowBody);
    if (result.ok) {
      router.push(`/flows/${result.data.id}`);
      return;
    }
    setBusy(false);
    const details = result.error.details as { unmapped?: UnmappedProfile[] } | undefined;
    if (result.error.code === 'profile_mapping_needed' && details?.unmapped) {
      const list = await callApi<SmtpProfileList>('GET', '/api/smtp-profiles');
      const profiles = list.ok ? list.data.profiles.map((p) => ({ id: p.id, name: p.name, fromEmail: p.fromEmail })) : [];
      const first = profiles[0]?.id ?? AGENT_DEFAULT;
      setMapping({ file, unmapped: details.unmapped, profiles, choice: Object.fromEntries(details.unmapped.map((u) => [u.profileId, first])) });
      return;
    }
    const fields = fieldsOf(result.error.details);
    setErrors(fields.length > 0 ? fields.slice(0, 5) : [result.error.message]);
  }

  async function chosen(files: FileList | null) {
    const picked = files?.[0];
    if (input.current) input.current.value = '';
    if (!picked) return;
    setMapping(null);
    let file: unknown;
    try {
      file = JSON.parse(await picked.text());
    } catch {
      setErrors([`“${picked.name}” is not a JSON file; choose a file that Export wrote`]);
      return;
    }
    await submit(file);
  }

  return (
    <div className="inline-action">
      <input
        ref={input}
        id={`${id}-file`}
        type="file"
        accept="application/json,.json"
        hidden
        onChange={(e) => void chosen(e.currentTarget.files)}
        data-testid="import-file"
      />
      <button type="button" className="button" onClick={() => input.current?.click()} disabled={busy} data-testid="import-flow">
        {busy ? 'Importing…' : 'Import'}
      </button>
      {errors.length > 0 && (
        <div className="notice notice--error" role="alert" data-testid="import-errors">
          {errors.map((e) => (
            <p key={e}>{e}</p>
          ))}
        </div>
      )}
      {mapping && (
        <form
          className="panel import-mapping"
          data-testid="import-mapping"
          onSubmit={(e) => {
            e.preventDefault();
            void submit(mapping.file, mapping.choice);
          }}
        >
          <h2>Choose senders</h2>
          <p>This flow sends with SMTP profiles you cannot use here. Choose one of yours for each:</p>
          {mapping.unmapped.map((u) => (
            <div className="field" key={u.profileId}>
              <label htmlFor={`${id}-${u.profileId}`}>
                “{u.profileId}” ({u.reason === 'missing' ? 'not on this install' : 'private to another user'}), used by {u.steps.join(', ')}
              </label>
              <select
                id={`${id}-${u.profileId}`}
                value={mapping.choice[u.profileId] ?? AGENT_DEFAULT}
                onChange={(e) => setMapping({ ...mapping, choice: { ...mapping.choice, [u.profileId]: e.currentTarget.value } })}
                data-testid={`import-map-${u.profileId}`}
              >
                <option value={AGENT_DEFAULT}>{AGENT_DEFAULT_LABEL}</option>
                {mapping.profiles.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} ({p.fromEmail})
                  </option>
                ))}
              </select>
            </div>
          ))}
          <div className="inline-action">
            <button type="button" className="button" onClick={() => setMapping(null)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy} data-testid="import-confirm">
              Import as a new flow
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
