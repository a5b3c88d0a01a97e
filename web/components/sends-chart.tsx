/**
 * Sends per minute as plain SVG: accepted and failed bars, a mark where the server asked to slow down, each
 * sender's configured and learned rate as lines; below it, the totals so far. The same numbers are in a
 * table for screen readers and for anyone who wants them.
 */
import type { SendsPoint } from '@domain/run-report';
import { formatTime } from '@/lib/format';

export interface RateLine {
  label: string;
  /** Messages a minute. */
  perMinute: number;
  kind: 'configured' | 'learned';
}

const W = 600;
const H = 160;
const PAD = 28;

const perMinute = (n: number, p: SendsPoint) => n / p.minutes;
const time = (minute: string) => formatTime(`${minute}:00Z`);

export function SendsChart({ points, rates, audience }: { points: SendsPoint[]; rates: RateLine[]; audience: number }) {
  if (points.length === 0) return <p className="muted">No delivery attempts yet: the chart starts with the first.</p>;
  // A rate far above what was sent would flatten the bars: such a line is named in the legend, not drawn.
  const highest = Math.max(1, ...points.map((p) => perMinute(p.sent + p.failed, p)));
  const drawn = rates.filter((r) => r.perMinute <= highest * 4);
  const top = Math.max(highest, ...drawn.map((r) => r.perMinute)) * 1.1;
  const barW = (W - PAD) / points.length;
  const y = (v: number) => H - PAD - (v / top) * (H - PAD * 1.5);
  const slowdowns = points.filter((p) => p.throttled > 0).length;
  const last = points.at(-1)!;
  const most = Math.max(1, audience, last.delivered + last.failedSoFar);
  const y2 = (v: number) => H - PAD - (v / most) * (H - PAD * 1.5);
  // Each line starts where the run did: nothing sent yet, everyone still to go.
  const line = (pick: (p: SendsPoint) => number, start: number) =>
    [`${PAD},${y2(start).toFixed(1)}`, ...points.map((p, i) => `${(PAD + (i + 1) * barW).toFixed(1)},${y2(pick(p)).toFixed(1)}`)].join(' ');
  const label = `Sends per minute from ${time(points[0]!.minute)} to ${time(last.minute)}: ${last.delivered} accepted, ${last.failedSoFar} failed${
    slowdowns > 0 ? `, the server asked to slow down in ${slowdowns} of ${points.length} bars` : ''
  }.`;
  return (
    <figure className="sends-chart" data-testid="sends-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1={PAD} x2={W} y1={H - PAD} y2={H - PAD} className="sends-chart__axis" />
        <text x={2} y={y(top / 1.1) + 4} className="sends-chart__tick">
          {Math.round(top / 1.1)}
        </text>
        <text x={2} y={H - PAD} className="sends-chart__tick">
          0
        </text>
        {points.map((p, i) => {
          const x = PAD + i * barW;
          const sent = perMinute(p.sent, p);
          const failed = perMinute(p.failed, p);
          return (
            <g key={p.minute}>
              <rect x={x} width={Math.max(1, barW - 1)} y={y(sent)} height={H - PAD - y(sent)} className="sends-chart__sent">
                <title>{`${time(p.minute)}: ${Math.round(sent)} accepted a minute`}</title>
              </rect>
              {failed > 0 && (
                <rect x={x} width={Math.max(1, barW - 1)} y={y(sent + failed)} height={y(sent) - y(sent + failed)} className="sends-chart__failed" />
              )}
              {p.throttled > 0 && (
                <path d={`M${x + barW / 2 - 4},${PAD / 2 - 6} l8,0 l-4,7 z`} className="sends-chart__slowdown" data-testid="slowdown-mark">
                  <title>{`${time(p.minute)}: the server asked to slow down ${p.throttled} time${p.throttled === 1 ? '' : 's'}`}</title>
                </path>
              )}
            </g>
          );
        })}
        {drawn.map((r) => (
          <line
            key={`${r.kind}-${r.label}`}
            x1={PAD}
            x2={W}
            y1={y(r.perMinute)}
            y2={y(r.perMinute)}
            className={`sends-chart__rate sends-chart__rate--${r.kind}`}
          >
            <title>{`${r.label}: ${r.kind} rate, ${Math.round(r.perMinute)} a minute`}</title>
          </line>
        ))}
        <text x={PAD} y={H - 8} className="sends-chart__tick">
          {time(points[0]!.minute)}
        </text>
        <text x={W} y={H - 8} textAnchor="end" className="sends-chart__tick">
          {time(last.minute)}
        </text>
      </svg>
      <figcaption className="sends-chart__legend">
        <span className="sends-chart__key sends-chart__key--sent">accepted</span>{' '}
        <span className="sends-chart__key sends-chart__key--failed">failed</span>{' '}
        <span className="sends-chart__key sends-chart__key--slowdown">▼ server asked to slow down</span>
        {rates.map((r) => (
          <span key={`${r.kind}-${r.label}`} className={`sends-chart__key sends-chart__key--${r.kind}`}>
            {r.label}: {r.kind} {Math.round(r.perMinute)}/min{drawn.includes(r) ? '' : ' (above the chart)'}
          </span>
        ))}
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Totals so far: ${last.delivered} accepted, ${last.failedSoFar} failed, of ${audience} recipients.`}
        preserveAspectRatio="none"
        data-testid="totals-chart"
      >
        <line x1={PAD} x2={W} y1={H - PAD} y2={H - PAD} className="sends-chart__axis" />
        <polyline points={line((p) => p.delivered, 0)} className="sends-chart__total sends-chart__total--sent" />
        <polyline points={line((p) => p.failedSoFar, 0)} className="sends-chart__total sends-chart__total--failed" />
        <polyline
          points={line((p) => Math.max(0, audience - p.delivered - p.failedSoFar), audience)}
          className="sends-chart__total sends-chart__total--waiting"
        />
      </svg>
      <figcaption className="sends-chart__legend">
        Totals so far: <span className="sends-chart__key sends-chart__key--sent">accepted</span>{' '}
        <span className="sends-chart__key sends-chart__key--failed">failed</span>{' '}
        <span className="sends-chart__key sends-chart__key--waiting">not yet sent</span>
      </figcaption>
      <details>
        <summary>The numbers</summary>
        <div className="table-scroll">
          <table className="table" data-testid="sends-table">
            <thead>
              <tr>
                <th>From</th>
                <th>Accepted</th>
                <th>Failed</th>
                <th>Slow-down replies</th>
                <th>Accepted so far</th>
                <th>Failed so far</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.minute}>
                  <td>
                    {time(p.minute)}
                    {p.minutes > 1 ? ` (${p.minutes} min)` : ''}
                  </td>
                  <td>{p.sent}</td>
                  <td>{p.failed}</td>
                  <td>{p.throttled}</td>
                  <td>{p.delivered}</td>
                  <td>{p.failedSoFar}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
