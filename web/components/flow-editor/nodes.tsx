'use client';
/**
 * The canvas's node components: one per node type, memoised, with a handle on top (in) and, unless the
 * type ends the journey, one at the bottom (out). Titles and summaries come from the node registry.
 */
import { Handle, type NodeProps, type NodeTypes, Position, useUpdateNodeInternals } from '@xyflow/react';
import { createContext, memo, type ReactNode, useContext, useEffect } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import { conditionOutputs } from '@domain/flow/nodes/condition';
import { waitUntilOutputs } from '@domain/flow/nodes/wait-until';
import { WEBHOOK_OUTPUTS } from '@domain/flow/nodes/webhook';
import type { NodeBranch } from '@domain/flow/node';
import { AGENT_DEFAULT, AGENT_DEFAULT_LABEL } from '@domain/senders';
import type { ContactAttributeType, EditorNodeOf, SenderProfile } from '@/components/flow-editor/types';

export interface EditorContextValue {
  errorsByNode: ReadonlyMap<string, FlowError[]>;
  profiles: readonly SenderProfile[];
  /** Each named step's name, by node id. */
  names: ReadonlyMap<string, string>;
  /** The attributes contacts have, with their types (for a Condition's rules). */
  attributes: readonly ContactAttributeType[];
}

export const EditorContext = createContext<EditorContextValue>({ errorsByNode: new Map(), profiles: [], names: new Map(), attributes: [] });

/** Each node type's symbol, on the canvas and in the palette. */
export const NODE_ICONS: Record<NodeType, string> = {
  trigger: '▶',
  delay: '◷',
  sendEmail: '✉',
  condition: '◇',
  exit: '■',
  sendWindow: '☼',
  split: '⑂',
  webhook: '⇢',
  waitUntil: '⧗',
};

function NodeShell(props: { id: string; type: NodeType; selected: boolean; input: boolean; children: ReactNode; outputs?: ReactNode }) {
  const kind = NODE_KINDS[props.type];
  const context = useContext(EditorContext);
  const problems = context.errorsByNode.get(props.id);
  const found = problems?.filter((e) => e.severity !== 'warning');
  const errors = found && found.length > 0 ? found : undefined;
  const warned = !errors && problems !== undefined && problems.length > 0;
  const name = context.names.get(props.id);
  const className = [
    'flow-node',
    `flow-node--${props.type}`,
    props.selected ? 'is-selected' : '',
    errors ? 'has-error' : '',
    warned ? 'has-warning' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={className} data-testid={`node-${props.type}`} title={problems?.map((e) => e.message).join('\n')}>
      {props.input && <Handle type="target" position={Position.Top} />}
      <div className="flow-node__head">
        <span className="flow-node__icon" aria-hidden>
          {NODE_ICONS[props.type]}
        </span>
        <span className="flow-node__title">
          {name ? (
            <>
              <span className="flow-node__kind">{kind.label}</span> {name}
            </>
          ) : (
            kind.label
          )}
        </span>
        {errors && (
          <span className="flow-node__badge" role="img" aria-label={`${errors.length} problem(s)`}>
            {errors.length}
          </span>
        )}
      </div>
      <div className="flow-node__body">{props.children}</div>
      {kind.outputs === 1 && <Handle type="source" position={Position.Bottom} />}
      {props.outputs}
    </div>
  );
}

/** Contacts enter here: nothing comes before it. */
const TriggerNodeView = memo(function TriggerNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'trigger'>>) {
  return (
    <NodeShell id={id} type="trigger" selected={selected} input={false}>
      {NODE_KINDS.trigger.summary(data)}
    </NodeShell>
  );
});

const DelayNodeView = memo(function DelayNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'delay'>>) {
  return (
    <NodeShell id={id} type="delay" selected={selected} input>
      {NODE_KINDS.delay.summary(data)}
    </NodeShell>
  );
});

const SendEmailNodeView = memo(function SendEmailNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'sendEmail'>>) {
  const profile = useContext(EditorContext).profiles.find((p) => p.id === data.profileId);
  const summary = NODE_KINDS.sendEmail.summary(data);
  return (
    <NodeShell id={id} type="sendEmail" selected={selected} input>
      <div className="flow-node__subject">{data.subject ? summary : <em>{summary}</em>}</div>
      <div className="flow-node__meta">
        via {data.profileId === AGENT_DEFAULT ? AGENT_DEFAULT_LABEL : profile ? profile.name : <em>unknown sender</em>}
      </div>
    </NodeShell>
  );
});

const branchLeft = (i: number, count: number) => `${((i + 0.5) / count) * 100}%`;

/** One output handle per branch, spread along the bottom: the edge leaving a handle carries the branch id. */
function BranchHandles({ id, outputs }: { id: string; outputs: readonly NodeBranch[] }) {
  const updateNodeInternals = useUpdateNodeInternals();
  const handleIds = outputs.map((b) => b.id).join('|');
  // React Flow measures handles once: tell it when branches are added, removed or reordered.
  // biome-ignore lint/correctness/useExhaustiveDependencies: handleIds is the change that matters
  useEffect(() => updateNodeInternals(id), [id, handleIds, updateNodeInternals]);
  return outputs.map((b, i) => (
    <Handle
      key={b.id}
      id={b.id}
      type="source"
      position={Position.Bottom}
      style={{ left: branchLeft(i, outputs.length) }}
      data-testid={`branch-handle-${b.id}`}
    />
  ));
}

/** Each branch's label, above its handle. */
function BranchLabels({ outputs }: { outputs: readonly NodeBranch[] }) {
  return (
    <div className="flow-node__branches">
      {outputs.map((b, i) => (
        <span key={b.id} className="flow-node__branch" style={{ left: branchLeft(i, outputs.length) }} title={b.label}>
          {b.label}
        </span>
      ))}
    </div>
  );
}

/** One labelled output per branch, then Otherwise. */
const ConditionNodeView = memo(function ConditionNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'condition'>>) {
  const outputs = conditionOutputs(data);
  return (
    <NodeShell id={id} type="condition" selected={selected} input outputs={<BranchHandles id={id} outputs={outputs} />}>
      <BranchLabels outputs={outputs} />
    </NodeShell>
  );
});

/** One labelled output per branch, each with its share. */
const SplitNodeView = memo(function SplitNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'split'>>) {
  const outputs = data.branches.map((b) => ({ id: b.id, label: `${b.label} ${Number.isFinite(b.percent) ? b.percent : '?'}%` }));
  return (
    <NodeShell id={id} type="split" selected={selected} input outputs={<BranchHandles id={id} outputs={outputs} />}>
      <BranchLabels outputs={outputs} />
    </NodeShell>
  );
});

/** Its summary, and two labelled outputs: Succeeded and Failed. */
const WebhookNodeView = memo(function WebhookNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'webhook'>>) {
  const outputs = WEBHOOK_OUTPUTS;
  return (
    <NodeShell id={id} type="webhook" selected={selected} input outputs={<BranchHandles id={id} outputs={outputs} />}>
      {NODE_KINDS.webhook.summary(data)}
      <BranchLabels outputs={outputs} />
    </NodeShell>
  );
});

/** Its summary, and two labelled outputs: Event came (or Condition met) and Timed out. */
const WaitUntilNodeView = memo(function WaitUntilNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'waitUntil'>>) {
  const outputs = waitUntilOutputs(data);
  return (
    <NodeShell id={id} type="waitUntil" selected={selected} input outputs={<BranchHandles id={id} outputs={outputs} />}>
      {NODE_KINDS.waitUntil.summary(data)}
      <BranchLabels outputs={outputs} />
    </NodeShell>
  );
});

const ExitNodeView = memo(function ExitNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'exit'>>) {
  return (
    <NodeShell id={id} type="exit" selected={selected} input>
      {NODE_KINDS.exit.summary(data)}
    </NodeShell>
  );
});

const SendWindowNodeView = memo(function SendWindowNodeView({ id, data, selected }: NodeProps<EditorNodeOf<'sendWindow'>>) {
  return (
    <NodeShell id={id} type="sendWindow" selected={selected} input>
      {NODE_KINDS.sendWindow.summary(data)}
    </NodeShell>
  );
});

/** At module scope so React Flow never sees a new object and re-mounts every node; one view per node type. */
export const nodeTypes = {
  trigger: TriggerNodeView,
  delay: DelayNodeView,
  sendEmail: SendEmailNodeView,
  condition: ConditionNodeView,
  split: SplitNodeView,
  exit: ExitNodeView,
  sendWindow: SendWindowNodeView,
  webhook: WebhookNodeView,
  waitUntil: WaitUntilNodeView,
} satisfies NodeTypes & Record<NodeType, unknown>;
