'use client';
/**
 * Saving the draft, by itself: a moment after the last change (AUTOSAVE_MS) the flow is saved, one save
 * at a time, and the state says whether it is saved, saving, waiting for a fix (a flow without a name,
 * an empty number) or failed (retried on its own when the server could not be reached). Save saves at
 * once; Publish saves, then publishes.
 */
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { FlowGraph } from '@domain/flow/schema';
import { type ApiError, callApi } from '@/lib/api-client';
import type { FlowPublished, FlowSaved, PublishFlowBody, SaveFlowBody } from '@/lib/api-types';
import { fieldErrors } from '@/lib/form-errors';
import { describeSchemaIssue } from '@/components/flow-editor/step-names';
import { isFlowErrorList, type ServerErrors } from '@/components/flow-editor/use-flow-problems';

export type Notice = { kind: 'info' | 'success' | 'error'; text: string };

/** How long after the last change the draft is saved. */
export const AUTOSAVE_MS = 800;
/** How long after a failed save (the server out of reach) it is tried again. */
const RETRY_MS = 5000;

export type SaveState =
  | { kind: 'saved' }
  | { kind: 'pending' }
  | { kind: 'saving' }
  /** Cannot be saved as it is: what to fix, and where. */
  | { kind: 'blocked'; reason: string }
  | { kind: 'failed'; reason: string };

/** The name's own check, in the browser, as the user types: shown at the field, gone once fixed. */
export function flowNameProblem(name: string): string | null {
  return name.trim() === '' ? 'Give the flow a name, e.g. “Welcome series”.' : null;
}

export function useFlowSave(options: {
  flowId: string;
  name: string;
  graph: FlowGraph;
  /** The flow as saved would be: name and graph. */
  snapshot: string;
  /** The snapshot of the flow as loaded (computed once). */
  initialSnapshot: () => string;
  /** Problems `compile` finds now: a draft with some is saved, with a reminder. */
  liveErrorCount: number;
  setServerErrors: (errors: ServerErrors | null) => void;
}) {
  const { flowId, name, graph, snapshot, liveErrorCount, setServerErrors } = options;
  const router = useRouter();
  const [savedSnapshot, setSavedSnapshot] = useState(options.initialSnapshot);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ snapshot: string; error: ApiError } | null>(null);
  const [busy, setBusy] = useState<'save' | 'publish' | null>(null);
  // A notice is about the flow as it was when it was given ("Not saved yet: give the flow a name"): once
  // the flow changes it no longer holds, and showing it beside the save state would contradict it.
  const [notice, setNoticeFor] = useState<(Notice & { snapshot: string }) | null>(null);
  const [serverNameError, setServerNameError] = useState<{ name: string; message: string } | null>(null);
  const [published, setPublished] = useState<number | null>(null);

  const latest = useRef({ name, graph, snapshot });
  latest.current = { name, graph, snapshot };
  const setNotice = useCallback((next: Notice | null, about = latest.current.snapshot) => {
    setNoticeFor(next && { ...next, snapshot: about });
  }, []);
  const inFlight = useRef<Promise<boolean> | null>(null);

  const localNameError = flowNameProblem(name);
  // The server's word on the name holds only for the name it was about.
  const nameError = localNameError ?? (serverNameError && serverNameError.name === name ? serverNameError.message : null);
  const graphProblem = useMemo(() => {
    const parsed = FlowGraph.safeParse(graph);
    return parsed.success ? null : describeSchemaIssue(graph, parsed.error.issues[0]);
  }, [graph]);
  const blocker = localNameError ? `Not saved yet: ${localNameError}` : graphProblem ? `Not saved yet: ${graphProblem}` : null;

  const showApiError = useCallback(
    (error: ApiError, forSnapshot: string) => {
      if (isFlowErrorList(error.details) && (error.code === 'invalid_flow' || error.code === 'unknown_profile')) {
        setServerErrors({ errors: error.details, snapshot: forSnapshot });
      } else if (error.code === 'invalid_request') {
        const message = fieldErrors(error).name;
        if (message) setServerNameError({ name: latest.current.name, message: `The flow name ${message.replace(/^name /, '')}.` });
      }
    },
    [setServerErrors],
  );

  /** Saves the flow as it is now; one save at a time (a second waits for the first, then saves what is current). */
  const save = useCallback(async (): Promise<boolean> => {
    while (inFlight.current) await inFlight.current;
    const { name: sentName, graph: sentGraph, snapshot: sent } = latest.current;
    const run = (async () => {
      setSaving(true);
      const body = { name: sentName.trim(), graph: sentGraph } satisfies SaveFlowBody;
      const result = await callApi<FlowSaved>('PUT', `/api/flows/${encodeURIComponent(flowId)}`, body);
      setSaving(false);
      if (!result.ok) {
        setFailure({ snapshot: sent, error: result.error });
        showApiError(result.error, sent);
        return false;
      }
      setFailure(null);
      setSavedSnapshot(sent);
      setServerErrors(null);
      return true;
    })();
    inFlight.current = run;
    try {
      return await run;
    } finally {
      inFlight.current = null;
    }
  }, [flowId, setServerErrors, showApiError]);

  const dirty = snapshot !== savedSnapshot;
  const failedNow = failure !== null && failure.snapshot === snapshot;

  // Autosave: a moment after the last change (each change starts the wait again), unless the flow cannot be saved as it is.
  useEffect(() => {
    if (!dirty || blocker || saving || failedNow || !snapshot) return;
    const timer = setTimeout(() => void save(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [dirty, blocker, saving, failedNow, snapshot, save]);

  // Retry, on its own, a save that could not reach the server (not one the server refused).
  const retryable = failedNow && (failure.error.status === 0 || failure.error.status >= 500);
  useEffect(() => {
    if (!retryable) return;
    const timer = setTimeout(() => void save(), RETRY_MS);
    return () => clearTimeout(timer);
  }, [retryable, save]);

  async function onSave() {
    if (blocker) {
      setNotice({ kind: 'error', text: blocker });
      return;
    }
    setBusy('save');
    setNotice(null);
    const sent = latest.current.snapshot;
    if (await save()) {
      setNotice({ kind: 'success', text: liveErrorCount > 0 ? 'Draft saved. Fix the problems listed before publishing.' : 'Draft saved.' }, sent);
    }
    setBusy(null);
  }

  /** Saves, then publishes the saved draft as the next version, with the publisher's note (if any); true when published. */
  async function onPublish(note = ''): Promise<boolean> {
    setPublished(null);
    if (blocker) {
      setNotice({ kind: 'error', text: blocker.replace(/^Not saved yet/, 'Not published') });
      return false;
    }
    setBusy('publish');
    setNotice(null);
    const sent = latest.current.snapshot;
    let done = false;
    if (await save()) {
      const body = (note.trim() ? { note: note.trim() } : {}) satisfies PublishFlowBody;
      const result = await callApi<FlowPublished>('POST', `/api/flows/${encodeURIComponent(flowId)}/publish`, body);
      if (result.ok) {
        setPublished(result.data.version);
        // What the server warns about (an attribute no contact has yet, under a default) stays listed.
        setServerErrors(result.data.warnings.length > 0 ? { errors: result.data.warnings, snapshot: sent } : null);
        router.refresh();
        done = true;
      } else {
        showApiError(result.error, sent);
        setNotice({ kind: 'error', text: result.error.message }, sent);
      }
    }
    setBusy(null);
    return done;
  }

  const state: SaveState = saving
    ? { kind: 'saving' }
    : !dirty
      ? { kind: 'saved' }
      : blocker
        ? { kind: 'blocked', reason: blocker }
        : failedNow
          ? { kind: 'failed', reason: failureReason(failure.error, retryable) }
          : { kind: 'pending' };

  const currentNotice = notice && notice.snapshot === snapshot ? { kind: notice.kind, text: notice.text } : null;
  return { dirty: dirty || saving, state, busy, notice: currentNotice, nameError, published, save, onSave, onPublish };
}

function failureReason(error: ApiError, retrying: boolean): string {
  if (error.code === 'invalid_flow') return 'Not saved: fix what the Problems list names.';
  if (error.code === 'invalid_request') return 'Not saved: fix the flow name.';
  return `Not saved: ${error.message}.${retrying ? ' Trying again in a few seconds…' : ''}`;
}
