'use client';
/** The side panel that edits the selected node's data. Every input carries `nodrag`. */
import { useEffect, useId, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { REENTRY_LABELS } from '@domain/flow/field-labels';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import { type DelayData, DURATION_UNITS } from '@domain/flow/nodes/delay';
import { REENTRY_POLICIES, type TriggerData } from '@domain/flow/nodes/trigger';
import { defaultDateTrigger } from '@domain/flow/date-trigger';
import { DateTriggerFields } from '@/components/flow-editor/date-trigger-fields';
import { FieldError } from '@/components/flow-editor/field-error';
import { CharacterCount } from '@/components/character-count';
import { SendEmailFields } from '@/components/flow-editor/send-email-fields';
import { ConditionFields } from '@/components/flow-editor/condition-panel';
import { SendPreview } from '@/components/flow-editor/send-preview';
import { SegmentGoalField, SegmentTriggerFields } from '@/components/flow-editor/segment-trigger-fields';
import { SendWindowFields } from '@/components/flow-editor/send-window-fields';
import { SplitFields } from '@/components/flow-editor/split-panel';
import { Segmented } from '@/components/flow-editor/segmented';
import { GoalFields, WaitUntilFields } from '@/components/flow-editor/wait-until-fields';
import { WebhookFields } from '@/components/flow-editor/webhook-fields';
import type { EditorNode, SenderProfile } from '@/components/flow-editor/types';
import { callApi } from '@/lib/api-client';

/** What a step's name might be, as a hint in the empty Step name box. */
const NAME_EXAMPLES: Record<NodeType, string> = {
  trigger: 'New signups',
  delay: 'Wait a day',
  sendEmail: 'Welcome email',
  condition: 'VIP or not',
  split: 'Subject line test',
  exit: 'Done',
  sendWindow: 'Business hours',
  webhook: 'Tell the CRM',
  waitUntil: 'Until they buy',
};

const UNIT_LABELS: Record<DelayData['unit'], string> = { seconds: 'Seconds', minutes: 'Minutes', hours: 'Hours', days: 'Days' };

/** Number inputs: an empty box is NaN, which the schema reports as "must be a number". */
function NumberInput(props: { id: string; value: number; onChange: (value: number) => void; label: string }) {
  return (
    <input
      id={props.id}
      className="nodrag"
      type="number"
      min={0}
      step="any"
      aria-label={props.label}
      value={Number.isFinite(props.value) ? props.value : ''}
      onChange={(e) => props.onChange(e.currentTarget.valueAsNumber)}
    />
  );
}

/** How contacts enter: a run you start, an API event (named here) or joining a list (chosen here), the latter two with a re-entry policy. */
function TriggerFields({ data, errors, onChange }: { data: TriggerData; errors: FlowError[]; onChange: (d: TriggerData) => void }) {
  const id = useId();
  const [lists, setLists] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    if (data.source === 'list')
      void callApi<{ lists: { id: string; name: string }[] }>('GET', '/api/lists').then((r) => r.ok && setLists(r.data.lists));
  }, [data.source]);
  return (
    <>
      <fieldset className="field">
        <legend>Contacts enter</legend>
        <Segmented
          name={`${id}-source`}
          value={data.source}
          choices={[
            { value: 'audience', label: 'When you start a run', testId: 'trigger-source-audience' },
            { value: 'event', label: 'By an API event', testId: 'trigger-source-event' },
            { value: 'list', label: 'When added to a list', testId: 'trigger-source-list' },
            { value: 'segment', label: 'When entering a segment', testId: 'trigger-source-segment' },
            { value: 'date', label: 'On a date', testId: 'trigger-source-date' },
          ]}
          onChange={(source) =>
            onChange(
              source === 'date'
                ? { source, date: data.date ?? { ...defaultDateTrigger(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone } }
                : source === 'audience'
                  ? { source }
                  : source === 'event'
                    ? { source, event: data.event ?? '', reentry: data.reentry ?? 'once' }
                    : source === 'segment'
                      ? { source, segmentId: data.segmentId ?? '', reentry: data.reentry ?? 'once' }
                      : { source, listId: data.listId ?? '', reentry: data.reentry ?? 'once' },
            )
          }
        />
      </fieldset>
      {data.source === 'event' && (
        <div className="field">
          <label htmlFor={`${id}-event`}>Event name</label>
          <input
            id={`${id}-event`}
            className="nodrag"
            value={data.event ?? ''}
            placeholder="signed_up"
            onChange={(e) => onChange({ ...data, event: e.currentTarget.value })}
            data-testid="trigger-event"
          />
          <FieldError errors={errors} field="data.event" />
        </div>
      )}
      {data.source === 'list' && (
        <div className="field">
          <label htmlFor={`${id}-list`}>List</label>
          <select
            id={`${id}-list`}
            className="nodrag"
            value={data.listId ?? ''}
            onChange={(e) => onChange({ ...data, listId: e.currentTarget.value })}
            data-testid="trigger-list"
          >
            <option value="">Choose a list…</option>
            {data.listId && !lists.some((l) => l.id === data.listId) && <option value={data.listId}>Missing list “{data.listId}”</option>}
            {lists.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <FieldError errors={errors} field="data.listId" />
        </div>
      )}
      {data.source === 'date' && data.date && <DateTriggerFields data={data.date} errors={errors} onChange={(date) => onChange({ ...data, date })} />}
      {data.source === 'segment' && <SegmentTriggerFields data={data} errors={errors} onChange={onChange} />}
      {data.source !== 'audience' && data.source !== 'date' && (
        <div className="field">
          <label htmlFor={`${id}-reentry`}>A contact may enter</label>
          <select
            id={`${id}-reentry`}
            className="nodrag"
            value={data.reentry ?? 'once'}
            onChange={(e) => onChange({ ...data, reentry: REENTRY_POLICIES.find((p) => p === e.currentTarget.value) ?? 'once' })}
            data-testid="trigger-reentry"
          >
            {REENTRY_POLICIES.map((p) => (
              <option key={p} value={p}>
                {REENTRY_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
      )}
      {data.source === 'event' && (
        <>
          <p className="hint">
            A published version starts a journey for the contact named by each <code>POST /api/v1/events</code> with this event (see Settings → API
            keys).
          </p>
          <GoalFields
            goal={data.goal}
            errors={errors}
            onChange={(goal) => {
              const { goal: _old, ...rest } = data;
              onChange(goal ? { ...rest, goal } : rest);
            }}
          />
        </>
      )}
      {data.source === 'list' && (
        <p className="hint">
          A published version starts a journey for each subscribed contact added to the list from then on: by hand, through the API or by an import.
        </p>
      )}
      {data.source !== 'audience' && <SegmentGoalField data={data} errors={errors} onChange={onChange} />}
      {data.source === 'audience' && <p className="hint">Contacts enter when you start a run for them on a published version.</p>}
    </>
  );
}

function DelayFields({ data, errors, onChange }: { data: DelayData; errors: FlowError[]; onChange: (d: DelayData) => void }) {
  const id = useId();
  const setMode = (mode: DelayData['mode']) => {
    if (mode === data.mode) return;
    onChange(
      data.mode === 'fixed'
        ? { mode: 'random', min: data.amount, max: data.amount, unit: data.unit }
        : { mode: 'fixed', amount: data.min, unit: data.unit },
    );
  };
  return (
    <>
      <fieldset className="field">
        <legend>Wait</legend>
        <Segmented
          name={`${id}-mode`}
          value={data.mode}
          choices={[
            { value: 'fixed', label: 'Fixed' },
            { value: 'random', label: 'Randomize' },
          ]}
          onChange={setMode}
        />
      </fieldset>
      {data.mode === 'fixed' ? (
        <div className="field">
          <label htmlFor={`${id}-amount`}>Amount</label>
          <NumberInput id={`${id}-amount`} label="Amount" value={data.amount} onChange={(amount) => onChange({ ...data, amount })} />
          <FieldError errors={errors} field="data.amount" />
        </div>
      ) : (
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-min`}>Min</label>
            <NumberInput id={`${id}-min`} label="Minimum" value={data.min} onChange={(min) => onChange({ ...data, min })} />
            <FieldError errors={errors} field="data.min" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-max`}>Max</label>
            <NumberInput id={`${id}-max`} label="Maximum" value={data.max} onChange={(max) => onChange({ ...data, max })} />
            <FieldError errors={errors} field="data.max" />
          </div>
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-unit`}>Unit</label>
        <select
          id={`${id}-unit`}
          className="nodrag"
          value={data.unit}
          onChange={(e) => {
            const value = e.currentTarget.value;
            onChange({ ...data, unit: DURATION_UNITS.find((u) => u === value) ?? data.unit });
          }}
        >
          {DURATION_UNITS.map((u) => (
            <option key={u} value={u}>
              {UNIT_LABELS[u]}
            </option>
          ))}
        </select>
      </div>
      {data.mode === 'random' && <p className="hint">Each contact waits a random time between min and max.</p>}
    </>
  );
}

/** Changes the node with this id; the panel narrows it by type, so the new data always fits the node. */
export type UpdateNode = (id: string, update: (current: EditorNode) => EditorNode) => void;

export function NodePanel(props: {
  flowId: string;
  node: EditorNode;
  errors: FlowError[];
  profiles: readonly SenderProfile[];
  onUpdate: UpdateNode;
  onDelete: () => void;
}) {
  const { node, errors, profiles, onUpdate, onDelete } = props;
  const id = useId();
  const nodeErrors = errors.filter((e) => !e.field?.startsWith('data.') && e.field !== 'name');
  return (
    <div className="panel" data-testid="node-panel">
      <div className="panel__head">
        <h2>{NODE_KINDS[node.type].label}</h2>
      </div>
      <div className="field">
        <label htmlFor={`${id}-name`}>
          Step name <span className="muted">(optional)</span>
        </label>
        <input
          id={`${id}-name`}
          className="nodrag"
          type="text"
          maxLength={80}
          placeholder={`e.g. ${NAME_EXAMPLES[node.type]}`}
          value={node.name ?? ''}
          onChange={(e) => {
            const name = e.currentTarget.value;
            onUpdate(node.id, (n) => ({ ...n, name }));
          }}
          data-testid="step-name"
        />
        <CharacterCount value={node.name ?? ''} max={80} />
        <FieldError errors={errors} field="name" />
      </div>
      {nodeErrors.length > 0 && (
        <ul className="panel__errors">
          {nodeErrors.map((e) => (
            <li key={`${e.edgeId ?? ''}|${e.field ?? ''}|${e.message}`}>{e.message}</li>
          ))}
        </ul>
      )}
      {node.type === 'trigger' && (
        <>
          <TriggerFields
            data={node.data}
            errors={errors}
            onChange={(data) => onUpdate(node.id, (n) => (n.type === 'trigger' ? { ...n, data } : n))}
          />
          <p className="hint">Every flow starts here. The Trigger cannot be deleted.</p>
        </>
      )}
      {node.type === 'delay' && (
        <DelayFields data={node.data} errors={errors} onChange={(data) => onUpdate(node.id, (n) => (n.type === 'delay' ? { ...n, data } : n))} />
      )}
      {node.type === 'sendEmail' && (
        <SendEmailFields
          data={node.data}
          errors={errors}
          profiles={profiles}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'sendEmail' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'sendEmail' && <SendPreview key={node.id} flowId={props.flowId} data={node.data} />}
      {node.type === 'sendWindow' && (
        <SendWindowFields
          data={node.data}
          errors={errors}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'sendWindow' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'condition' && (
        <ConditionFields
          nodeId={node.id}
          data={node.data}
          errors={errors}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'condition' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'split' && (
        <SplitFields
          nodeId={node.id}
          data={node.data}
          errors={errors}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'split' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'webhook' && (
        <WebhookFields
          flowId={props.flowId}
          data={node.data}
          errors={errors}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'webhook' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'waitUntil' && (
        <WaitUntilFields
          data={node.data}
          errors={errors}
          onChange={(data) => onUpdate(node.id, (n) => (n.type === 'waitUntil' ? { ...n, data } : n))}
        />
      )}
      {node.type === 'exit' && <p className="hint">The journey ends here. An Exit has no next step.</p>}
      {!NODE_KINDS[node.type].unique && (
        <button type="button" className="button danger" onClick={onDelete} data-testid="delete-node">
          Delete node
        </button>
      )}
    </div>
  );
}
