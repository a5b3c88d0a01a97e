'use client';
/** The Webhook's fields: the URL, the JSON body (a Liquid template), and the flow's signing secret on request. */
import { useId, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { WebhookData } from '@domain/flow/nodes/webhook';
import { FieldError } from '@/components/flow-editor/field-error';
import { callApi } from '@/lib/api-client';

function SigningSecret({ flowId }: { flowId: string }) {
  const [secret, setSecret] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const show = async () => {
    const result = await callApi<{ secret: string }>('GET', `/api/flows/${encodeURIComponent(flowId)}/webhook-secret`);
    if (result.ok) setSecret(result.data.secret);
    else setProblem(result.error.status === 404 ? 'Save the flow first: its secret is shown once it is saved.' : result.error.message);
  };
  return (
    <div className="field">
      <span>Signing secret</span>
      {secret ? (
        <>
          <input className="nodrag code" type="text" readOnly value={secret} aria-label="Signing secret" data-testid="webhook-secret" />
          <button type="button" className="button" onClick={() => void navigator.clipboard?.writeText(secret)}>
            Copy secret
          </button>
        </>
      ) : (
        <button type="button" className="button" onClick={() => void show()} data-testid="webhook-show-secret">
          Show secret
        </button>
      )}
      {problem && <p className="field-error">{problem}</p>}
      <p className="hint">
        Each request carries <code>X-Dripline-Signature: t=…,v1=…</code>: the hex HMAC-SHA256, with this secret, of the time, a dot and the body. The
        secret is the flow&apos;s own; keep it on the receiving server only.
      </p>
    </div>
  );
}

export function WebhookFields(props: { flowId: string; data: WebhookData; errors: FlowError[]; onChange: (d: WebhookData) => void }) {
  const { flowId, data, errors, onChange } = props;
  const id = useId();
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-url`}>URL</label>
        <input
          id={`${id}-url`}
          className="nodrag"
          type="url"
          placeholder="https://example.com/hooks/dripline"
          value={data.url}
          onChange={(e) => onChange({ ...data, url: e.currentTarget.value })}
          data-testid="webhook-url"
        />
        <FieldError errors={errors} field="data.url" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-body`}>JSON body</label>
        <textarea
          id={`${id}-body`}
          className="nodrag nowheel code"
          rows={8}
          spellCheck={false}
          value={data.body}
          onChange={(e) => onChange({ ...data, body: e.currentTarget.value })}
          data-testid="webhook-body"
        />
        <FieldError errors={errors} field="data.body" />
        <p className="hint">
          Use the contact&apos;s attributes as in emails, e.g. <code>{'"plan": "{{ plan }}"'}</code>; text values are escaped for JSON. A 2xx answer
          takes Succeeded; server errors and timeouts are retried for about an hour, then Failed.
        </p>
      </div>
      {/* An unconnected Succeeded or Failed output is reported at data.branches.<i> (domain/flow/paths.ts). */}
      <FieldError errors={errors} field="data.branches" />
      <SigningSecret flowId={flowId} />
    </>
  );
}
