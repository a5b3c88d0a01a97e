/**
 * Who received the run, who failed (by class), who is uncertain, who was skipped (and why) and who was
 * never sent: counts by reason, each a link to its list, and "send to these" for the set shown.
 */
import Link from 'next/link';
import { REASON_LABELS, RECONCILE_SET_LABELS, RECONCILE_SETS, type ReconcileSelection } from '@domain/delivery-log';
import type { ReconcileCount, ReconciledRecipient } from '@server/db/reconciliation';
import { SendToSet } from './send-to-set';
import { Count } from '@/components/count';

export function Reconciliation({
  runId,
  counts,
  selection,
  list,
  mayResend,
  unfinished,
  profiles,
}: {
  runId: string;
  /** null: not counted (a run in flight, until asked). */
  counts: ReconcileCount[] | null;
  selection: ReconcileSelection | null;
  list: { items: ReconciledRecipient[]; next: string | null } | null;
  /** The user may start runs of the flow (admins, its owner). */
  mayResend: boolean;
  /** The run is running or paused: those never sent may still be sent by it. */
  unfinished: boolean;
  profiles: { id: string; name: string }[];
}) {
  const show = (set: string, reason?: string) => `?${new URLSearchParams({ set, ...(reason ? { reason } : {}) }).toString()}#reconciliation`;
  if (counts === null) {
    return (
      <section id="reconciliation" data-testid="reconciliation">
        <h2>Who got it</h2>
        <p>
          <Link href="?reconcile=1#reconciliation" data-testid="reconcile-now">
            {unfinished ? 'Count who got it so far' : 'Count who got it'}
          </Link>{' '}
          <span className="muted">{unfinished ? '(the page then stops refreshing by itself)' : '(a large run: it takes a few seconds)'}</span>
        </p>
      </section>
    );
  }
  const selected = selection && counts.filter((c) => c.set === selection.set && (selection.reason === undefined || c.reason === selection.reason));
  const selectedCount = selected?.reduce((n, c) => n + c.count, 0) ?? 0;
  /** Who may not have it: the failed and the uncertain, resent together in one click. */
  const missed = counts.filter((c) => c.set === 'failed' || c.set === 'uncertain').reduce((n, c) => n + c.count, 0);
  return (
    <section id="reconciliation" data-testid="reconciliation">
      <h2>Who got it</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Recipients</th>
            <th>Why</th>
            <th>Count</th>
          </tr>
        </thead>
        <tbody>
          {RECONCILE_SETS.flatMap((set) => {
            const rows = counts.filter((c) => c.set === set);
            const total = rows.reduce((n, c) => n + c.count, 0);
            return [
              <tr key={set} data-testid={`reconcile-${set}`}>
                <td>
                  <strong>
                    <Link href={show(set)}>{RECONCILE_SET_LABELS[set]}</Link>
                  </strong>
                </td>
                <td />
                <td data-testid="count">
                  <Count value={total} />
                </td>
              </tr>,
              ...rows
                .filter((r) => r.reason !== '')
                .map((r) => (
                  <tr key={`${set}/${r.reason}`} data-testid={`reconcile-${set}-${r.reason}`}>
                    <td />
                    <td>
                      <Link href={show(set, r.reason)}>{REASON_LABELS[r.reason] ?? r.reason}</Link>
                    </td>
                    <td>
                      <Count value={r.count} />
                    </td>
                  </tr>
                )),
            ];
          })}
        </tbody>
      </table>
      {mayResend && !selection && missed > 0 && (
        <SendToSet
          runId={runId}
          sets={['failed', 'uncertain']}
          count={missed}
          profiles={profiles}
          blocked={null}
          testId="send-to-failed-and-uncertain"
          label={
            <>
              Send to the failed and the uncertain (<Count value={missed} />) in a new run
            </>
          }
        />
      )}
      {selection && list && (
        <>
          <h3>
            {RECONCILE_SET_LABELS[selection.set]}
            {selection.reason ? `: ${REASON_LABELS[selection.reason] ?? selection.reason}` : ''} (<Count value={selectedCount} />)
          </h3>
          {list.items.length === 0 ? (
            <p className="empty">Nobody.</p>
          ) : (
            <ul data-testid="reconcile-list">
              {list.items.map((r) => (
                <li key={r.contactId}>
                  <Link href={`/contacts/${encodeURIComponent(r.contactId)}`}>{r.email}</Link>
                  {r.reason && <span className="muted"> · {REASON_LABELS[r.reason] ?? r.reason}</span>}
                </li>
              ))}
            </ul>
          )}
          {list.next && (
            <Link
              href={`${show(selection.set, selection.reason).replace('#reconciliation', '')}&from=${encodeURIComponent(list.next)}#reconciliation`}
            >
              More →
            </Link>
          )}
          {mayResend && selectedCount > 0 && (
            <SendToSet
              runId={runId}
              sets={[selection.set]}
              reason={selection.reason}
              count={selectedCount}
              profiles={profiles}
              blocked={selection.set === 'unsent' && unfinished ? 'This run may still send to them: cancel it, or wait until it finishes.' : null}
            />
          )}
        </>
      )}
    </section>
  );
}
