/**
 * The delivery log: one row per SMTP attempt, newest as the data layer orders them. A run's page and a
 * contact's history both show it; they differ in one column near the start and the last one.
 */
import type { ReactNode } from 'react';
import type { DeliveryAttempt } from '@server/db/deliveries';
import { formatTime } from '@/lib/format';

type LoggedAttempt = Pick<DeliveryAttempt, 'id' | 'at' | 'nodeId' | 'attempt' | 'outcome' | 'smtpCode' | 'smtpReply' | 'workflowId'>;

/** A column only one of the logs has. */
export interface DeliveryLogColumn<A> {
  header: string;
  cell: (attempt: A) => ReactNode;
  className?: string;
}

export function DeliveryLog<A extends LoggedAttempt>({
  attempts,
  empty,
  source,
  last,
  stepName,
  sender,
  testIds,
}: {
  attempts: readonly A[];
  /** What the page says instead of an empty table. */
  empty: ReactNode;
  /** After Time: whom it went to (a run's log) or which flow sent it (a contact's history). */
  source: DeliveryLogColumn<A>;
  /** The last column: the message id, or the link to the workflow in Temporal. */
  last: DeliveryLogColumn<A>;
  testIds: { table?: string; row: string; outcome?: string };
  /** The step's name as people read it (its own name from the plan, else its kind), by the attempt; the id when absent. */
  stepName?: (attempt: A) => string;
  /** The profile that made the attempt (a Send step may have a pool of them); no column when absent. */
  sender?: (attempt: A) => ReactNode;
}) {
  if (attempts.length === 0) return <p className="empty">{empty}</p>;
  return (
    <table className="table table--log" data-testid={testIds.table}>
      <thead>
        <tr>
          <th>Time</th>
          <th>{source.header}</th>
          <th>Step</th>
          {sender && <th>Sender</th>}
          <th>Attempt</th>
          <th>Outcome</th>
          <th>SMTP code</th>
          <th>SMTP reply</th>
          <th>{last.header}</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={a.id} data-testid={testIds.row} data-workflow-id={a.workflowId}>
            <td className="nowrap">{formatTime(a.at)}</td>
            <td className={source.className}>{source.cell(a)}</td>
            <td title={a.nodeId} data-testid="attempt-step">
              {stepName ? stepName(a) : a.nodeId}
            </td>
            {sender && <td data-testid="attempt-sender">{sender(a)}</td>}
            <td>#{a.attempt}</td>
            <td>
              <span className={`status status--${a.outcome}`} data-testid={testIds.outcome}>
                {a.outcome}
              </span>
            </td>
            <td>{a.smtpCode ?? '—'}</td>
            <td className="reply">{a.smtpReply}</td>
            <td className={last.className}>{last.cell(a)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
