/** Beside the SMTP profile form: the chosen preset's hints and settings, or how to set up SMTP at all. */
import type { SmtpPreset } from '@domain/smtp-presets';
import { Count } from '@/components/count';

export function PresetHints({ preset }: { preset: SmtpPreset | undefined }) {
  return (
    <aside className="side-box" data-testid="smtp-hints" aria-label="Hints">
      <h2>{preset ? preset.label : 'Setting up SMTP'}</h2>
      {preset ? (
        <>
          <ul>
            {preset.hints.map((hint) => (
              <li key={hint}>{hint}</li>
            ))}
          </ul>
          <p className="muted small">{preset.label}’s own settings, as the preset filled them in:</p>
          <dl className="preset-facts">
            <dt>Server</dt>
            <dd className="mono">
              {preset.host}:{preset.port}
            </dd>
            <dt>Security</dt>
            <dd>{preset.secure ? 'SSL' : preset.requireTls ? 'TLS (STARTTLS)' : 'none'}</dd>
            <dt>Limits</dt>
            <dd>
              {[
                preset.ratePerSecond && `${preset.ratePerSecond} message${preset.ratePerSecond === 1 ? '' : 's'}/s`,
                preset.perMinute && `${preset.perMinute} a minute`,
                preset.perHour && `${preset.perHour} an hour`,
              ]
                .filter(Boolean)
                .join(', ') || 'no rate limit'}
              {preset.dailyCap === null ? (
                ''
              ) : (
                <>
                  , <Count value={preset.dailyCap} /> {preset.dailyCapWindow === 'rolling' ? 'in any 24 hours' : 'a day'}
                </>
              )}
            </dd>
          </dl>
        </>
      ) : (
        <ul>
          <li>Choose a preset to fill in a provider’s server, port, security and limits.</li>
          <li>Port 587 uses TLS (STARTTLS): SSL off, TLS on. Port 465 uses SSL: SSL on, TLS off.</li>
          <li>Gmail, Google Workspace and Outlook need an app password, not your normal password.</li>
          <li>Use Test connection before saving: it tells you which field to fix.</li>
        </ul>
      )}
    </aside>
  );
}
