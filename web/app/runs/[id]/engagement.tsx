/**
 * The run's opens and clicks (for a flow that tracks them), per Send step: opens by people (total, and
 * unique contacts) and apart those of machines (privacy proxies, prefetches right after delivery), clicks
 * by people (total and unique) and apart those of link scanners, and each link's clicks by people.
 */
import type { StepEngagement } from '@server/db/tracking';
import { formatCount } from '@/lib/format';

export function RunEngagement(props: { steps: StepEngagement[]; stepName: (nodeId: string) => string; locale: string }) {
  const { steps, stepName } = props;
  const count = (n: number) => formatCount(n, props.locale);
  if (steps.length === 0) return null;
  return (
    <section data-testid="run-engagement">
      <h2>Opens and clicks</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Step</th>
            <th>Opened (unique)</th>
            <th>Opens</th>
            <th>Machine opens</th>
            <th>Clicked (unique)</th>
            <th>Clicks</th>
            <th>Scanner clicks</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.nodeId} data-testid={`engagement-${s.nodeId}`}>
              <td>{stepName(s.nodeId)}</td>
              <td data-testid="unique-opens">{count(s.opens.unique)}</td>
              <td>{count(s.opens.total)}</td>
              <td data-testid="machine-opens">{count(s.opens.machine)}</td>
              <td data-testid="unique-clicks">{count(s.clicks.unique)}</td>
              <td data-testid="clicks">{count(s.clicks.total)}</td>
              <td>{count(s.clicks.machine)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {steps.some((s) => s.links.length > 0) && (
        <table className="table" data-testid="engagement-links">
          <thead>
            <tr>
              <th>Step</th>
              <th>Link</th>
              <th>Clicked (unique)</th>
              <th>Clicks</th>
            </tr>
          </thead>
          <tbody>
            {steps.flatMap((s) =>
              s.links.map((l) => (
                <tr key={`${s.nodeId}-${l.linkIndex}`} data-testid={`engagement-link-${s.nodeId}-${l.linkIndex}`}>
                  <td>{stepName(s.nodeId)}</td>
                  <td className="code">{l.url}</td>
                  <td>{count(l.unique)}</td>
                  <td>{count(l.total)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      <p className="hint">
        Machine opens are fetches by privacy proxies (Apple Mail Privacy Protection, Gmail’s and Yahoo’s image proxies) or within seconds of delivery;
        they are not counted as opens. Links followed by known link scanners are not counted as clicks.
      </p>
    </section>
  );
}
