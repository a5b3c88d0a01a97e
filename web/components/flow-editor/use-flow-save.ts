'use client';
/** Save and Publish: what is sent, what the server answered, and whether the flow has changed since. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { FlowGraph } from '@domain/flow/schema';
import { type ApiError, callApi } from '@/lib/api-client';
import type { FlowPublished, FlowSaved, SaveFlowBody } from '@/lib/api-types';
import { fieldErrors } from '@/lib/form-errors';
import { isFlowErrorList, type ServerErrors } from '@/components/flow-editor/use-flow-problems';

export type Notice = { kind: 'info' | 'success' | 'error'; text: string };

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
  const [busy, setBusy] = useState<'save' | 'publish' | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [published, setPublished] = useState<number | null>(null);

  function showApiError(error: ApiError, forSnapshot: string) {
    if (isFlowErrorList(error.details) && (error.code === 'invalid_flow' || error.code === 'unknown_profile')) {
      setServerErrors({ errors: error.details, snapshot: forSnapshot });
    } else if (error.code === 'invalid_request') {
      const message = fieldErrors(error).name;
      if (message) setNameError(message);
    }
    setNotice({ kind: 'error', text: error.message });
  }

  async function save(): Promise<boolean> {
    const sent = snapshot;
    setNameError(null);
    const body = { name: name.trim(), graph } satisfies SaveFlowBody;
    const result = await callApi<FlowSaved>('PUT', `/api/flows/${encodeURIComponent(flowId)}`, body);
    if (!result.ok) {
      showApiError(result.error, sent);
      return false;
    }
    setSavedSnapshot(sent);
    setServerErrors(null);
    return true;
  }

  async function onSave() {
    setBusy('save');
    setNotice(null);
    if (await save()) {
      setNotice({ kind: 'success', text: liveErrorCount > 0 ? 'Draft saved. Fix the problems listed before publishing.' : 'Draft saved.' });
      router.refresh();
    }
    setBusy(null);
  }

  async function onPublish() {
    setBusy('publish');
    setNotice(null);
    setPublished(null);
    const sent = snapshot;
    if (await save()) {
      const result = await callApi<FlowPublished>('POST', `/api/flows/${encodeURIComponent(flowId)}/publish`);
      if (result.ok) {
        setPublished(result.data.version);
        router.refresh();
      } else {
        showApiError(result.error, sent);
      }
    }
    setBusy(null);
  }

  return { dirty: snapshot !== savedSnapshot, busy, notice, nameError, published, onSave, onPublish };
}
