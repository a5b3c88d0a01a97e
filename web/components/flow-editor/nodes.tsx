'use client';
/** The canvas's node components: one per node type, memoised, with a handle on top (in) and bottom (out). */
import { Handle, Position, type NodeProps, type NodeTypes } from '@xyflow/react';
import { createContext, memo, useContext, type ReactNode } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { AGENT_DEFAULT_LABEL, AGENT_DEFAULT_SENDER, type DelayData, type DelayFlowNode, type ExitFlowNode, type SendEmailFlowNode, type SenderProfile, type TriggerFlowNode } from '@/components/flow-editor/types';

export interface EditorContextValue {
  errorsByNode: ReadonlyMap<string, FlowError[]>;
  profiles: readonly SenderProfile[];
}

export const EditorContext = createContext<EditorContextValue>({ errorsByNode: new Map(), profiles: [] });

function unitLabel(amount: number, unit: DelayData['unit']): string {
  return amount === 1 ? unit.replace(/s$/, '') : unit;
}

export function describeDelay(data: DelayData): string {
  if (data.mode === 'fixed') return `Wait ${data.amount} ${unitLabel(data.amount, data.unit)}`;
  return `Wait ${data.min}–${data.max} ${unitLabel(data.max, data.unit)} (random)`;
}

function NodeShell(props: {
  id: string;
  type: 'trigger' | 'delay' | 'sendEmail' | 'exit';
  title: string;
  icon: string;
  selected: boolean;
  input: boolean;
  output: boolean;
  children: ReactNode;
}) {
  const errors = useContext(EditorContext).errorsByNode.get(props.id);
  const className = ['flow-node', `flow-node--${props.type}`, props.selected ? 'is-selected' : '', errors ? 'has-error' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={className} data-testid={`node-${props.type}`} title={errors?.map((e) => e.message).join('\n')}>
      {props.input && <Handle type="target" position={Position.Top} />}
      <div className="flow-node__head">
        <span className="flow-node__icon" aria-hidden>
          {props.icon}
        </span>
        <span className="flow-node__title">{props.title}</span>
        {errors && (
          <span className="flow-node__badge" aria-label={`${errors.length} problem(s)`}>
            {errors.length}
          </span>
        )}
      </div>
      <div className="flow-node__body">{props.children}</div>
      {props.output && <Handle type="source" position={Position.Bottom} />}
    </div>
  );
}

const TriggerNodeView = memo(function TriggerNodeView({ id, data, selected }: NodeProps<TriggerFlowNode>) {
  return (
    <NodeShell id={id} type="trigger" title="Trigger" icon="▶" selected={selected} input={false} output>
      {data.source === 'event' ? 'A contact enters by an API event' : 'Contacts enter when you start a run'}
    </NodeShell>
  );
});

const DelayNodeView = memo(function DelayNodeView({ id, data, selected }: NodeProps<DelayFlowNode>) {
  return (
    <NodeShell id={id} type="delay" title="Delay" icon="◷" selected={selected} input output>
      {describeDelay(data)}
    </NodeShell>
  );
});

const SendEmailNodeView = memo(function SendEmailNodeView({ id, data, selected }: NodeProps<SendEmailFlowNode>) {
  const profile = useContext(EditorContext).profiles.find((p) => p.id === data.profileId);
  return (
    <NodeShell id={id} type="sendEmail" title="Send Email" icon="✉" selected={selected} input output>
      <div className="flow-node__subject">{data.subject || <em>No subject</em>}</div>
      <div className="flow-node__meta">
        via {data.profileId === AGENT_DEFAULT_SENDER ? AGENT_DEFAULT_LABEL : profile ? profile.name : <em>unknown sender</em>}
      </div>
    </NodeShell>
  );
});

const ExitNodeView = memo(function ExitNodeView({ id, selected }: NodeProps<ExitFlowNode>) {
  return (
    <NodeShell id={id} type="exit" title="Exit" icon="■" selected={selected} input output={false}>
      The journey ends here
    </NodeShell>
  );
});

/** At module scope so React Flow never sees a new object and re-mounts every node. */
export const nodeTypes = {
  trigger: TriggerNodeView,
  delay: DelayNodeView,
  sendEmail: SendEmailNodeView,
  exit: ExitNodeView,
} satisfies NodeTypes;
