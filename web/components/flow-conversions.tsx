/**
 * Goal and exit, as the report shows it: how many journeys of a flow converted, per published version
 * and the step the contact was in (an event goal or entering the goal's segment alike). Reads what
 * `flowConversions` (server/conversions.ts, checked by `visibleFlow`) returns; renders nothing without a conversion.
 */
import type { FlowConversions } from '@server/conversions';
import { Count } from '@/components/count';

export function FlowConversionsTable({ conversions }: { conversions: FlowConversions }) {
  if (conversions.converted === 0) return null;
  return (
    <section data-testid="flow-conversions">
      <h2>
        Converted: <Count value={conversions.converted} />
      </h2>
      <table className="table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Step they were in</th>
            <th>Converted</th>
          </tr>
        </thead>
        <tbody>
          {conversions.steps.map((s) => (
            <tr key={`${s.version}:${s.nodeId}`} data-testid={`conversions-${s.version}-${s.nodeId}`}>
              <td>{s.version}</td>
              <td>{s.step}</td>
              <td>
                <Count value={s.converted} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
