'use client';
/**
 * The flow's settings beside the canvas: "Track opens and clicks" (off by default). Saved at once, apart
 * from the draft, and applies to the messages sent from then on, by every version of the flow.
 */
import { useEffect, useId, useState } from 'react';
import { callApi } from '@/lib/api-client';

export function FlowSettings({ flowId }: { flowId: string }) {
  const id = useId();
  const [enabled, setEnabled] = useState<boolean>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    void callApi<{ enabled: boolean }>('GET', `/api/flows/${encodeURIComponent(flowId)}/tracking`).then((r) => {
      // A flow not saved yet (404) tracks nothing until it is.
      setEnabled(r.ok ? r.data.enabled : false);
    });
  }, [flowId]);
  const change = async (on: boolean) => {
    setProblem(undefined);
    const r = await callApi<{ enabled: boolean }>('PUT', `/api/flows/${encodeURIComponent(flowId)}/tracking`, { enabled: on });
    if (r.ok) setEnabled(r.data.enabled);
    else setProblem(r.error.status === 404 ? 'Save the flow first: its settings can be changed once it is saved.' : r.error.message);
  };
  return (
    <div className="panel">
      <div className="panel__head">
        <h2>Flow settings</h2>
      </div>
      <label className="check-field" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={enabled ?? false}
          disabled={enabled === undefined}
          onChange={(e) => void change(e.currentTarget.checked)}
          data-testid="track-engagement"
        />{' '}
        Track opens and clicks
      </label>
      <p className="hint">
        Links in this flow’s emails go through a signed redirect and each HTML email carries an open pixel, so the run report counts opens and clicks
        and a Condition can test them. Off by default: turn it on only where your recipients’ consent covers it.
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
