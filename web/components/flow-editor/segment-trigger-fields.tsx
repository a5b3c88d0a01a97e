'use client';
/**
 * The Trigger's fields for a flow that starts on entering a segment (the segment, and why contacts in it
 * already do not enter), and the goal on entering a segment for any journey.
 */
import { useEffect, useId, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { TriggerData } from '@domain/flow/nodes/trigger';
import { FieldError } from '@/components/flow-editor/field-error';
import { callApi } from '@/lib/api-client';

type SegmentChoice = { id: string; name: string };

/** The segments the user may use, loaded once the panel shows a field that needs them. */
function useSegments(): SegmentChoice[] {
  const [segments, setSegments] = useState<SegmentChoice[]>([]);
  useEffect(() => {
    void callApi<{ segments: SegmentChoice[] }>('GET', '/api/segments').then((r) => r.ok && setSegments(r.data.segments));
  }, []);
  return segments;
}

function SegmentSelect(props: {
  id: string;
  value: string;
  empty: string;
  segments: SegmentChoice[];
  onChange: (id: string) => void;
  testId: string;
}) {
  const { value, segments } = props;
  return (
    <select id={props.id} className="nodrag" value={value} onChange={(e) => props.onChange(e.currentTarget.value)} data-testid={props.testId}>
      <option value="">{props.empty}</option>
      {value && !segments.some((s) => s.id === value) && <option value={value}>Missing segment “{value}”</option>}
      {segments.map((s) => (
        <option key={s.id} value={s.id}>
          {s.name}
        </option>
      ))}
    </select>
  );
}

/** Source "segment": which segment's new members enter. */
export function SegmentTriggerFields({ data, errors, onChange }: { data: TriggerData; errors: FlowError[]; onChange: (d: TriggerData) => void }) {
  const id = useId();
  const segments = useSegments();
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-segment`}>Segment</label>
        <SegmentSelect
          id={`${id}-segment`}
          value={data.segmentId ?? ''}
          empty="Choose a segment…"
          segments={segments}
          onChange={(segmentId) => onChange({ ...data, segmentId })}
          testId="trigger-segment"
        />
        <FieldError errors={errors} field="data.segmentId" />
      </div>
      <p className="hint" data-testid="trigger-segment-hint">
        A published version starts a journey for each subscribed contact who enters the segment from then on: within seconds of a change (on their
        page, through the API, an event or an import); every contact is looked at again every 5 minutes. Contacts already in it when you publish do
        not enter: publishing would otherwise mail everyone in the segment at once; start a run for them instead.
      </p>
    </>
  );
}

/** Goal and exit on a segment (journeys): entering it ends the contact's journey at once, counted as converted. */
export function SegmentGoalField({ data, errors, onChange }: { data: TriggerData; errors: FlowError[]; onChange: (d: TriggerData) => void }) {
  const id = useId();
  const segments = useSegments();
  return (
    <div className="field">
      <label htmlFor={`${id}-goal-segment`}>Goal: entering a segment</label>
      <SegmentSelect
        id={`${id}-goal-segment`}
        value={data.goalSegmentId ?? ''}
        empty="No segment goal"
        segments={segments}
        onChange={(goalSegmentId) => {
          const { goalSegmentId: _old, ...rest } = data;
          onChange(goalSegmentId ? { ...rest, goalSegmentId } : rest);
        }}
        testId="trigger-goal-segment"
      />
      <FieldError errors={errors} field="data.goalSegmentId" />
      <p className="hint">A contact who enters it leaves their journey at once, counted as converted at the step they were in.</p>
    </div>
  );
}
