'use client';
/**
 * The SMTP profile form's sections, top to bottom: the profile (preset, name), the server and its
 * security, the sender, the sending limits, and sharing with agents. They hold no state: each shows
 * the form state and dispatches what the user changes.
 */
import Link from 'next/link';
import type { Dispatch, ReactNode } from 'react';
import type { SmtpPreset } from '@domain/smtp-presets';
import { TextField } from '@/components/text-field';
import type { AgentOption } from '@/lib/api-types';
import type { FieldErrors } from '@/lib/form-errors';
import type { CheckKey, ProfileValues, SavedServer, SmtpFormAction, TextKey } from '@/app/settings/smtp/smtp-form-state';

export interface SectionProps {
  /** The prefix of the inputs' ids (from useId). */
  id: string;
  values: ProfileValues;
  errors: FieldErrors;
  dispatch: Dispatch<SmtpFormAction>;
}

/** A TextField's id, value, error and change handler for one field; its error's test id is `smtp-error-<field>`. */
export function bind({ id, values, errors, dispatch }: SectionProps, field: TextKey) {
  return {
    id: `${id}-${field}`,
    value: values[field],
    error: errors[field],
    errorTestId: `smtp-error-${field}`,
    onValue: (value: string) => dispatch({ type: 'text', field, value }),
  };
}

function CheckField(props: SectionProps & { field: CheckKey; testId: string; disabled?: boolean; children: ReactNode }) {
  const { field, values, errors, dispatch } = props;
  const error = errors[field];
  return (
    <div className="field">
      <label className="check-field">
        <input
          type="checkbox"
          checked={values[field]}
          disabled={props.disabled}
          onChange={(e) => dispatch({ type: 'check', field, on: e.currentTarget.checked })}
          data-testid={props.testId}
        />
        <span>{props.children}</span>
      </label>
      {error && (
        <p className="field-error" data-testid={`smtp-error-${field}`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function ProfileSection(props: SectionProps & { presets: SmtpPreset[]; presetId: string }) {
  const { id, presets, presetId, dispatch } = props;
  const choose = (next: string) => dispatch({ type: 'preset', presetId: next, preset: presets.find((p) => p.id === next) });
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-preset`}>Preset</label>
        <select id={`${id}-preset`} value={presetId} onChange={(e) => choose(e.currentTarget.value)} data-testid="smtp-preset">
          <option value="">Custom server</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
        <p className="hint">Fills in the server, port, security and the provider’s sending limits. You can change them after.</p>
      </div>

      <div className="field-row">
        <TextField {...bind(props, 'name')} label="Name" type="text" hint="How the profile appears in Send nodes." testId="smtp-name" />
        <TextField {...bind(props, 'description')} label="Description" type="text" hint="Optional: what it is for." testId="smtp-description" />
      </div>
    </>
  );
}

/** Server, security and login. The password is write-only: it is never loaded, only replaced. */
export function ServerSection(props: SectionProps & { saved: SavedServer | undefined; passwordWillClear: boolean; isAdmin: boolean }) {
  const { saved } = props;
  return (
    <>
      <h2>Server</h2>
      <div className="field-row field-row--server">
        <TextField
          {...bind(props, 'host')}
          label="SMTP server"
          type="text"
          placeholder="smtp.example.com"
          autoComplete="off"
          spellCheck={false}
          testId="smtp-host"
        />
        <TextField {...bind(props, 'port')} label="Port" type="number" min={1} max={65535} testId="smtp-port" />
      </div>
      <div className="field-row">
        <CheckField {...props} field="secure" testId="smtp-secure">
          <strong>SSL</strong> <span className="muted">implicit TLS, usually port 465</span>
        </CheckField>
        <CheckField {...props} field="requireTls" testId="smtp-require-tls">
          <strong>TLS</strong> <span className="muted">STARTTLS, required when on, usually port 587</span>
        </CheckField>
      </div>
      <p className="muted">With neither, STARTTLS is used whenever the server offers it, and a login is sent only over TLS.</p>
      <CheckField {...props} field="allowPlainAuth" testId="smtp-allow-plain-auth" disabled={!props.isAdmin}>
        <strong>Allow login without TLS</strong>{' '}
        <span className="muted">
          the password crosses the network in clear; only for a relay on a trusted network{props.isAdmin ? '' : ' (admins only)'}
        </span>
      </CheckField>
      <div className="field-row">
        <TextField
          {...bind(props, 'username')}
          label="User"
          type="text"
          hint="Often your full email address. Empty: no login."
          autoComplete="off"
          spellCheck={false}
          testId="smtp-username"
        />
        <TextField
          {...bind(props, 'password')}
          label="Password"
          type="password"
          hint={saved?.hasPassword ? 'A password is saved. It is never shown; type a new one to replace it.' : 'Stored encrypted; never shown again.'}
          placeholder={saved?.hasPassword ? 'leave blank to keep' : saved ? 'no password saved' : ''}
          autoComplete="new-password"
          testId="smtp-password"
        />
      </div>
      {props.passwordWillClear && (
        <p className="notice notice--warning" role="status" data-testid="smtp-password-warning">
          The server, port or security changed and the password is blank: the saved password will be cleared when you save. Enter the password again
          to keep one.
        </p>
      )}
    </>
  );
}

/**
 * Admins only (shown to others, read-only): trusting an internal server's own certificate, with its CA
 * or by pinning its fingerprint, which Test connection shows when it refuses a certificate.
 */
export function TlsTrustSection(props: SectionProps & { isAdmin: boolean }) {
  const { id, values, errors, dispatch, isAdmin } = props;
  if (!isAdmin && !values.tlsCa && !values.tlsPin) return null;
  const caError = errors.tlsCa;
  return (
    <details className="field" open={Boolean(values.tlsCa || values.tlsPin || caError || errors.tlsPin)} data-testid="smtp-tls-trust">
      <summary>
        <strong>TLS trust</strong>{' '}
        <span className="muted">for your own relay whose certificate no public authority signed{isAdmin ? '' : ' (set by an admin)'}</span>
      </summary>
      <TextField
        {...bind(props, 'tlsPin')}
        label="Pinned certificate fingerprint (SHA-256)"
        type="text"
        placeholder="AB:CD:…"
        hint="Only the certificate with this fingerprint is accepted, whoever signed it. Test connection shows the fingerprint a server presents."
        autoComplete="off"
        spellCheck={false}
        disabled={!isAdmin}
        testId="smtp-tls-pin"
      />
      <div className="field">
        <label htmlFor={`${id}-tlsCa`}>Or: CA certificate (PEM)</label>
        <textarea
          id={`${id}-tlsCa`}
          rows={4}
          value={values.tlsCa}
          placeholder="-----BEGIN CERTIFICATE-----"
          spellCheck={false}
          disabled={!isAdmin}
          aria-invalid={caError ? true : undefined}
          onChange={(e) => dispatch({ type: 'text', field: 'tlsCa', value: e.currentTarget.value })}
          data-testid="smtp-tls-ca"
        />
        <p className="hint">The CA that signed the server’s certificate; the server name is still checked.</p>
        {caError && (
          <p className="field-error" data-testid="smtp-error-tlsCa">
            {caError}
          </p>
        )}
      </div>
    </details>
  );
}

export function SenderSection(props: SectionProps) {
  return (
    <>
      <h2>Sender</h2>
      <div className="field-row field-row--3">
        <TextField {...bind(props, 'fromEmail')} label="Email address (From)" type="email" placeholder="news@example.com" testId="smtp-from-email" />
        <TextField
          {...bind(props, 'replyTo')}
          label="Reply-to address"
          type="email"
          hint="Optional."
          placeholder="support@example.com"
          testId="smtp-reply-to"
        />
        <TextField
          {...bind(props, 'fromName')}
          label="Sender name"
          type="text"
          hint="Shown as the sender in the inbox."
          placeholder="Example News"
          testId="smtp-from-name"
        />
      </div>
      <div className="field-row field-row--3">
        <TextField
          {...bind(props, 'unsubscribeMailbox')}
          label="Unsubscribe mailbox"
          type="email"
          hint="Optional. Mail clients may email it to unsubscribe (a mailto: in List-Unsubscribe, beside the link)."
          placeholder="unsubscribe@example.com"
          testId="smtp-unsubscribe-mailbox"
        />
      </div>
    </>
  );
}

/** Admins only: which agents may use the profile, and whose default it is. */
export function SharingSection({ values, errors, dispatch, agents }: SectionProps & { agents: AgentOption[] | undefined }) {
  const toggle = (list: 'sharedWith' | 'defaultFor', agentId: string, on: boolean) => dispatch({ type: 'agent', list, agentId, on });
  return (
    <>
      <h2>Agents</h2>
      {agents && agents.length > 0 ? (
        <table className="table table--compact agents-table">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Set as default for</th>
              <th>Share with</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => {
              const isDefault = values.defaultFor.includes(a.id);
              return (
                <tr key={a.id}>
                  <td>
                    {a.email} <span className="muted">{a.name}</span>
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Default profile for ${a.email}`}
                      checked={isDefault}
                      onChange={(e) => toggle('defaultFor', a.id, e.currentTarget.checked)}
                      data-testid={`smtp-default-for-${a.id}`}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Share with ${a.email}`}
                      checked={isDefault || values.sharedWith.includes(a.id)}
                      disabled={isDefault}
                      title={isDefault ? 'An agent’s default profile is always shared with them' : undefined}
                      onChange={(e) => toggle('sharedWith', a.id, e.currentTarget.checked)}
                      data-testid={`smtp-share-with-${a.id}`}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="muted">
          No agents yet. Create them under <Link href="/settings/users">Settings → Users</Link>.
        </p>
      )}
      <p className="hint">
        An agent’s default profile sends their one-off messages and Send nodes set to “Agent’s default”; each agent has one (choosing it here replaces
        their previous default). Without one, the install default is used.
      </p>
      {(errors.sharedWith || errors.defaultFor) && (
        <p className="field-error" data-testid={`smtp-error-${errors.defaultFor ? 'defaultFor' : 'sharedWith'}`}>
          {errors.defaultFor ?? errors.sharedWith}
        </p>
      )}
    </>
  );
}
