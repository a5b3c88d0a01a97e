/**
 * The run's report: sends per minute against each sender's configured and learned rate, the totals over
 * time, and the flow's canvas with each step's figures. One section of the run page, refreshed with it
 * (one request per refresh for the whole page, never one per widget).
 */
import type { FlowGraph } from '@domain/flow/schema';
import type { RunReport } from '@server/runs/report';
import { type RateLine, SendsChart } from '@/components/sends-chart';
import { StepCanvas } from '@/components/step-canvas';

export function RunReportSection({ report, graph, audience }: { report: RunReport; graph: FlowGraph | null; audience: number }) {
  const rates: RateLine[] = report.senders.flatMap((s): RateLine[] => [
    ...(s.limit !== null ? [{ label: s.name, perMinute: s.limit * 60, kind: 'configured' as const }] : []),
    ...(s.learnedRate !== null ? [{ label: s.name, perMinute: s.learnedRate * 60, kind: 'learned' as const }] : []),
  ]);
  const { overTime, steps } = report.figures;
  return (
    <section className="run-report" data-testid="run-report" aria-labelledby="run-report-title">
      <h2 id="run-report-title">Report</h2>
      <h3>Sends per minute</h3>
      <SendsChart points={overTime.points} rates={rates} audience={audience} />
      {graph && steps && (
        <>
          <h3>Each step</h3>
          <StepCanvas graph={graph} report={steps} senders={report.senders.map((s) => ({ id: s.profileId, name: s.name }))} />
        </>
      )}
    </section>
  );
}
