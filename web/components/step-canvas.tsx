'use client';
/**
 * A flow version's own canvas, read-only, with each step's figures under it (entered, moved on, waiting,
 * failed) and the recipients along each connection, as Klaviyo and Customer.io show a flow's report. The
 * same figures are in a table below it (screen readers, narrow screens).
 */
import { Background, Controls, type NodeProps, type NodeTypes, ReactFlow, ReactFlowProvider } from '@xyflow/react';
// React Flow's own styles (the editor imports them too): without them on the run page the canvas lays out wrong.
import '@xyflow/react/dist/style.css';
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import type { FlowGraph } from '@domain/flow/schema';
import { nodeTitle } from '@domain/flow/step-title';
import { edgeKey, type StepFigures, type StepReport } from '@domain/run-report';
import { EditorContext, nodeTypes } from '@/components/flow-editor/nodes';
import { type EditorNode, type SenderProfile, toEditor } from '@/components/flow-editor/types';

const FiguresContext = createContext<StepReport['steps']>({});

const n = (v: number) => v.toLocaleString('en-US');

/** What a step's strip says: only the figures that are not zero, entered always. */
function describe(f: StepFigures): [string, number, string][] {
  const all: [string, number, string][] = [
    ['entered', f.entered, 'entered'],
    ['moved on', f.movedOn, 'moved-on'],
    ['waiting', f.waiting, 'waiting'],
    ['failed', f.failed, 'failed'],
    ['held', f.held, 'held'],
    ['skipped', f.skipped, 'skipped'],
    ['uncertain', f.uncertain, 'uncertain'],
  ];
  return all.filter(([label, v]) => label === 'entered' || v > 0);
}

function StepStrip({ id }: { id: string }) {
  const f = useContext(FiguresContext)[id];
  if (!f) return null;
  return (
    <div className="step-figures" data-testid={`step-figures-${id}`}>
      {describe(f).map(([label, v, key]) => (
        <span key={key} className={`step-figures__item step-figures__item--${key}`}>
          <strong>{n(v)}</strong> {label}
        </span>
      ))}
    </div>
  );
}

/** A node of any type: its own view, with its figures under it. */
function CountedNode(props: NodeProps) {
  const View = nodeTypes[props.type as keyof typeof nodeTypes] as unknown as (props: NodeProps) => ReactNode;
  return (
    <div className="step-counted">
      <View {...props} />
      <StepStrip id={props.id} />
    </div>
  );
}

/** At module scope, so that React Flow keeps its nodes between renders. */
const countedTypes = Object.fromEntries(Object.keys(nodeTypes).map((type) => [type, CountedNode])) as NodeTypes;

export function StepCanvas({ graph, report, senders }: { graph: FlowGraph; report: StepReport; senders: { id: string; name: string }[] }) {
  const { nodes, edges } = useMemo(() => {
    const editor = toEditor(graph);
    const triggers = new Set(graph.nodes.flatMap((node) => (node.type === 'trigger' ? [node.id] : [])));
    return {
      nodes: editor.nodes.map((node): EditorNode => ({ ...node, selected: false, draggable: false, connectable: false })),
      edges: editor.edges.map((e) => {
        const count = report.edges[edgeKey(triggers.has(e.source) ? '' : e.source, e.target)];
        return count === undefined ? e : { ...e, label: n(count), className: 'step-edge', ariaLabel: `${n(count)} recipients` };
      }),
    };
  }, [graph, report]);
  const context = useMemo(() => {
    const profiles: SenderProfile[] = senders.map((s) => ({ id: s.id, name: s.name, fromEmail: '', fromName: '', isDefault: false }));
    const names = new Map(graph.nodes.flatMap((node) => (node.name ? [[node.id, node.name] as [string, string]] : [])));
    return { errorsByNode: new Map(), profiles, names, attributes: [] };
  }, [graph, senders]);
  const steps = graph.nodes.filter((node) => report.steps[node.id]);
  return (
    <div className="step-canvas-report">
      <div className="step-canvas" data-testid="step-canvas">
        <ReactFlowProvider>
          <EditorContext.Provider value={context}>
            <FiguresContext.Provider value={report.steps}>
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={countedTypes}
                nodesDraggable={false}
                nodesConnectable={false}
                elementsSelectable={false}
                zoomOnScroll={false}
                preventScrolling={false}
                fitView
                minZoom={0.2}
              >
                <Background gap={20} />
                <Controls showInteractive={false} />
              </ReactFlow>
            </FiguresContext.Provider>
          </EditorContext.Provider>
        </ReactFlowProvider>
      </div>
      <details>
        <summary>Each step's figures</summary>
        <div className="table-scroll">
          <table className="table" data-testid="step-table">
            <thead>
              <tr>
                <th>Step</th>
                <th>Entered</th>
                <th>Moved on</th>
                <th>Waiting</th>
                <th>Failed</th>
                <th>Held</th>
                <th>Skipped</th>
                <th>Uncertain</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((node) => {
                const f = report.steps[node.id]!;
                return (
                  <tr key={node.id} data-testid={`step-row-${node.id}`}>
                    <td>{nodeTitle(node)}</td>
                    <td>{n(f.entered)}</td>
                    <td>{n(f.movedOn)}</td>
                    <td>{n(f.waiting)}</td>
                    <td>{n(f.failed)}</td>
                    <td>{n(f.held)}</td>
                    <td>{n(f.skipped)}</td>
                    <td>{n(f.uncertain)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
