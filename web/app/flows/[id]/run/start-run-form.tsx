'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import type { RunReview as Review } from '@server/runs/review';
import { callApi, type ApiError } from '@/lib/api-client';
import type { RunStarted, SegmentWithCount, StartRunBody } from '@/lib/api-types';
import { AudienceFields, type AudienceChoice } from './audience-fields';
import { type ChosenContact, ContactPicker } from './contact-picker';
import { RunReview } from './run-review';
import { type RunScheduleChoice, ScheduleFields } from './schedule-fields';

interface Props {
  flowId: string;
  /** Newest first; `publishedAt` formatted for people; each with what the review states of it. */
  versions: { version: number; publishedAt: string; note: string | null; publishedBy: string | null; review: Review }[];
  initialVersion: number;
  /** How many contacts are subscribed (a run for everyone mails them). */
  everyone: number;
  /** The static lists, each with how many subscribed members a run would mail. */
  lists: { id: string; name: string; subscribed: number }[];
  /** The segments; each one's count is asked for when it is chosen (it is evaluated against every contact). */
  segments: { id: string; name: string }[];
}

export function StartRunForm({ flowId, versions, initialVersion, everyone, lists, segments }: Props) {
  const router = useRouter();
  const [version, setVersion] = useState(initialVersion);
  // Nobody is preselected: a run mails whom its starter chose.
  const [audience, setAudience] = useState<AudienceChoice | null>(null);
  /** The chosen segment's subscribed matches now: what a run started now would mail. */
  const [segmentCount, setSegmentCount] = useState<{ id: string; subscribed: number } | null>(null);
  const [chosen, setChosen] = useState<ChosenContact[]>([]);
  // One key per visit of this page: pressing Start twice (or a retried request) starts one run.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [schedule, setSchedule] = useState<RunScheduleChoice>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const segmentId = audience?.kind === 'segment' ? audience.segmentId : null;

  useEffect(() => {
    if (!segmentId) return;
    let current = true;
    callApi<SegmentWithCount>('GET', `/api/segments/${segmentId}`).then((result) => {
      if (!current) return;
      if (result.ok) setSegmentCount({ id: segmentId, subscribed: result.data.count.subscribed });
      else setError(result.error);
    });
    return () => {
      current = false;
    };
  }, [segmentId]);

  const list = audience?.kind === 'list' ? lists.find((l) => l.id === audience.listId) : undefined;
  const segment = segmentId ? segments.find((s) => s.id === segmentId) : undefined;
  const [audienceText, count] =
    audience === null
      ? ['', null]
      : audience.kind === 'all'
        ? ['Everyone subscribed', everyone]
        : audience.kind === 'list'
          ? [`the list “${list?.name ?? audience.listId}”`, list?.subscribed ?? 0]
          : audience.kind === 'segment'
            ? [`the segment “${segment?.name ?? audience.segmentId}”`, segmentCount?.id === segmentId ? segmentCount.subscribed : null]
            : ['Chosen contacts', chosen.filter((c) => c.subscribed).length];
  const chosenVersion = versions.find((v) => v.version === version);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!audience) return;
    if (audience.kind === 'contacts' && chosen.length === 0) {
      setError({ status: 0, code: 'no_contacts', message: 'Search for contacts and add at least one, or choose another audience.' });
      return;
    }
    const { missing, ...when } = schedule;
    if (missing) {
      setError({ status: 0, code: 'no_start_time', message: missing });
      return;
    }
    setBusy(true);
    const result = await callApi<RunStarted>('POST', '/api/runs', {
      flowId,
      version,
      audience: audience.kind === 'contacts' ? { kind: 'contacts', contactIds: chosen.map((c) => c.id) } : audience,
      idempotencyKey,
      ...when,
    } satisfies StartRunBody);
    if (result.ok) {
      router.push(`/runs/${result.data.runId}`);
      return;
    }
    setError(result.error);
    setBusy(false);
  }

  return (
    <form className="form" onSubmit={onSubmit}>
      <div className="field field--inline">
        <label htmlFor="version">Version</label>
        <select id="version" value={version} onChange={(e) => setVersion(Number(e.currentTarget.value))} data-testid="version-select">
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version} — published {v.publishedAt}
            </option>
          ))}
        </select>
      </div>
      <RunVersion version={chosenVersion} newest={versions[0]?.version} />

      <AudienceFields everyone={everyone} lists={lists} segments={segments} audience={audience} onChange={setAudience} />
      {audience?.kind === 'contacts' && <ContactPicker chosen={chosen} onChange={setChosen} />}

      <ScheduleFields onChange={setSchedule} />

      {error && (
        <div className="notice notice--error" role="alert" data-testid="api-error">
          {error.message}
          {error.status > 0 && (
            <span className="muted">
              {' '}
              ({error.code}, HTTP {error.status})
            </span>
          )}
        </div>
      )}

      {audience && chosenVersion ? (
        <RunReview version={version} review={chosenVersion.review} audience={audienceText} count={count} schedule={schedule} busy={busy} />
      ) : (
        <p className="muted" data-testid="review-waiting">
          Choose an audience: the run is reviewed here before it starts.
        </p>
      )}
    </form>
  );
}

/** Which version the run will use, said in words: its number, who published it when, and its note. */
function RunVersion({ version, newest }: { version: Props['versions'][number] | undefined; newest: number | undefined }) {
  if (!version) return null;
  return (
    <p className="run-version" data-testid="run-version">
      This run uses <strong>version {version.version}</strong>
      {version.version === newest ? ' (the newest)' : ` (not the newest: version ${newest} is)`}, published {version.publishedAt}
      {version.publishedBy && ` by ${version.publishedBy}`}
      {version.note ? <>: “{version.note}”</> : '.'}
    </p>
  );
}
