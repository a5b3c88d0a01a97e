/** How fast each sender of a run goes now, what it learned from the server, and whether it is paused. */
import type { SenderPace } from '@server/runs/report';
import { formatTime } from '@/lib/format';

const rate = (r: number | null) => (r === null ? 'no limit' : `${r < 10 ? r.toFixed(1) : Math.round(r)} messages/s`);

/** `active`: the run is scheduled, running or paused; a finished run shows no "paused" notice nor "goes on by itself". */
export function SenderPaces({ senders, active }: { senders: SenderPace[]; active: boolean }) {
  if (senders.length === 0) return null;
  return (
    <ul className="sender-paces" data-testid="sender-paces">
      {senders.map((s) => (
        <li key={s.profileId} data-testid={`sender-pace-${s.profileId}`}>
          <strong>{s.name}</strong>: {rate(s.effectiveRate)}
          {s.limit !== null && s.learnedRate !== null && s.learnedRate < s.limit ? ` (its limit is ${rate(s.limit)}; the server accepts less)` : ''}
          {s.connections !== null ? ` · ${s.connections} connection${s.connections === 1 ? '' : 's'} (the server asked for fewer)` : ''}
          {s.lastSlowdown && (
            <span className="muted" data-testid="last-slowdown">
              {' '}
              · slowed down {formatTime(s.lastSlowdown.at)}: “{s.lastSlowdown.reply}”
            </span>
          )}
          {active && s.failing && s.failingCause === 'guard' && (
            <p className="notice notice--error" data-testid="sender-paused">
              Sending is paused: {s.failing}. An admin resumes it on the profile in Settings → SMTP settings; the run goes on by itself.
            </p>
          )}
          {active && s.failing && s.failingCause !== 'guard' && (
            <p className="notice notice--error" data-testid="sender-paused">
              Sending is paused: the server refused the login ({s.failing}). Fix the profile in Settings → SMTP settings and save it; the run goes on
              by itself.
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}
