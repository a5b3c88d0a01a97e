'use client';
/**
 * The review before the only Start button: the version, who gets it (unsubscribed and suppressed
 * contacts are not counted: they are never mailed), the senders with their pace and limits, when it
 * starts, and when it should finish (domain/run-forecast.ts, as the run page estimates it).
 */
import type { RunReview as Review } from '@server/runs/review';
import { forecastFinish, slowestSender } from '@domain/run-forecast';
import { useFormatCount } from '@/components/count';
import type { RunScheduleChoice } from './schedule-fields';

interface Props {
  version: number;
  review: Review;
  /** What the audience is, in words. */
  audience: string;
  /** How many it mails; null while it is counted. */
  count: number | null;
  schedule: RunScheduleChoice;
  busy: boolean;
}

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function RunReview({ version, review, audience, count, schedule, busy }: Props) {
  const formatCount = useFormatCount();
  const startMs = schedule.startAt ? Date.parse(schedule.startAt) : Date.now();
  const finish =
    count === null
      ? null
      : forecastFinish({ audience: count, startMs, spreadHours: schedule.spreadHours ?? null, path: review.path, ...slowestSender(review.senders) });
  const refused = review.senders.filter((s) => s.problem);
  return (
    <section className="run-review" aria-label="Review the run" data-testid="run-review">
      <h2>Review</h2>
      <dl>
        <dt>Version</dt>
        <dd data-testid="review-version">version {version}</dd>
        <dt>Audience</dt>
        <dd data-testid="review-audience" data-count={count ?? undefined}>
          {audience}: {count === null ? 'counting…' : `${formatCount(count)} contact${count === 1 ? '' : 's'}`}{' '}
          <span className="muted">(unsubscribed and suppressed contacts are not mailed)</span>
        </dd>
        <dt>Senders</dt>
        <dd data-testid="review-senders">
          {review.senders.length === 0
            ? 'none: this version sends no email'
            : review.senders.map((s) => (
                <span key={s.name} className="review-sender">
                  {s.name} (
                  {[
                    s.ratePerSecond
                      ? `${s.ratePerSecond < 10 ? s.ratePerSecond.toFixed(1) : Math.round(s.ratePerSecond)} messages/s`
                      : 'no rate limit',
                    ...s.limits.map((l) => `at most ${formatCount(l.max)} a ${l.per}${l.per === 'day' ? ' (UTC)' : ''}`),
                  ].join(', ')}
                  ){' '}
                </span>
              ))}
        </dd>
        <dt>Starts</dt>
        <dd data-testid="review-schedule">
          {schedule.startAt ? `at ${when(startMs)}` : 'now'}
          {schedule.spreadHours ? `, the first send spread over ${schedule.spreadHours} hour${schedule.spreadHours === 1 ? '' : 's'}` : ''}
        </dd>
        <dt>Forecast finish</dt>
        <dd data-testid="review-forecast" data-at={finish === null ? undefined : new Date(finish).toISOString()}>
          {finish === null ? '…' : when(finish)}{' '}
          <span className="muted">(from the audience, the senders’ pace and limits, the flow’s Delays and Send window, and the start)</span>
        </dd>
      </dl>
      {refused.map((s) => (
        <p key={s.name} className="notice notice--error" data-testid="review-sender-problem">
          {s.problem}
        </p>
      ))}
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy || count === null || refused.length > 0} data-testid="start-run">
          {busy ? 'Starting…' : `Start run for ${count === null ? '…' : formatCount(count)} contact${count === 1 ? '' : 's'}`}
        </button>
      </div>
    </section>
  );
}
