'use client';
/**
 * The SMTP profile form, for a new profile and for editing one. The browser checks it with the same
 * SmtpProfileInput schema as the API. The password is write-only: it is never loaded, only replaced.
 */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { SmtpProfileInput } from '@domain/smtp-profile';
import { type SmtpPreset } from '@domain/smtp-presets';
import type { SmtpProfileView } from '@server/profiles';
import { callApi, fieldErrors, type ApiError } from '@/lib/api-client';

export interface AgentOption {
  id: string;
  email: string;
  name: string;
}

interface Props {
  /** The saved profile when editing; absent for a new one. */
  profile?: SmtpProfileView;
  presets: SmtpPreset[];
  /** Admins get the agents to share with and set defaults for. */
  agents?: AgentOption[];
  isAdmin: boolean;
  userEmail: string;
  justSaved?: boolean;
}

interface FormState {
  name: string;
  description: string;
  host: string;
  port: string;
  secure: boolean;
  requireTls: boolean;
  username: string;
  password: string;
  fromEmail: string;
  replyTo: string;
  fromName: string;
  ratePerSecond: string;
  maxConnections: string;
  dailyCap: string;
  sharedWith: string[];
  defaultFor: string[];
}

type Result = { ok: boolean; message: string };
type Errors = Record<string, string>;

const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

function initialState(profile: SmtpProfileView | undefined): FormState {
  return {
    name: profile?.name ?? '',
    description: profile?.description ?? '',
    host: profile?.host ?? '',
    port: profile ? String(profile.port) : '587',
    secure: profile?.secure ?? false,
    requireTls: profile?.requireTls ?? true,
    username: profile?.username ?? '',
    password: '',
    fromEmail: profile?.fromEmail ?? '',
    replyTo: profile?.replyTo ?? '',
    fromName: profile?.fromName ?? '',
    ratePerSecond: text(profile?.ratePerSecond),
    maxConnections: text(profile?.maxConnections ?? 5),
    dailyCap: text(profile?.dailyCap),
    sharedWith: profile?.sharedWith ?? [],
    defaultFor: profile?.defaultFor ?? [],
  };
}

/** A number box's value for the schema: a number when it is one, else the text (so the schema names the problem). */
function numberOr<T>(value: string, blank: T): number | string | T {
  const trimmed = value.trim();
  if (trimmed === '') return blank;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** The form as SmtpProfileInput (what the API reads); an empty password means "keep the saved one". */
function toInput(s: FormState) {
  return {
    name: s.name,
    description: s.description,
    host: s.host.trim(),
    port: numberOr(s.port, ''),
    secure: s.secure,
    requireTls: s.requireTls,
    username: s.username,
    ...(s.password ? { password: s.password } : {}),
    fromEmail: s.fromEmail,
    fromName: s.fromName,
    replyTo: s.replyTo.trim(),
    ratePerSecond: numberOr(s.ratePerSecond, null),
    maxConnections: numberOr(s.maxConnections, undefined),
    dailyCap: numberOr(s.dailyCap, null),
  };
}

/** The first message per field, keyed by the schema's field name. */
function issuesByField(issues: readonly { path: PropertyKey[]; message: string }[]): Errors {
  const errors: Errors = {};
  for (const issue of issues) {
    const key = issue.path.length > 0 ? String(issue.path[0]) : 'form';
    if (!(key in errors)) errors[key] = issue.message;
  }
  return errors;
}

function presetFor(presets: SmtpPreset[], profile: SmtpProfileView | undefined): string {
  if (!profile) return '';
  return presets.find((p) => p.host === profile.host && p.port === profile.port)?.id ?? '';
}

function Field(props: { id: string; label: string; field: string; errors: Errors; hint?: ReactNode; children: ReactNode }) {
  const error = props.errors[props.field];
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <p className="hint">{props.hint}</p>}
      {error && (
        <p id={`${props.id}-error`} className="field-error" data-testid={`smtp-error-${props.field}`}>
          {error}
        </p>
      )}
    </div>
  );
}

function ResultBox({ result, testId }: { result: Result; testId: string }) {
  return (
    <p className={`notice ${result.ok ? 'notice--success' : 'notice--error'}`} role="status" data-testid={testId} data-ok={String(result.ok)}>
      {result.message}
    </p>
  );
}

export function SmtpProfileForm({ profile, presets, agents, isAdmin, userEmail, justSaved }: Props) {
  const router = useRouter();
  const id = useId();
  const [state, setState] = useState<FormState>(() => initialState(profile));
  const [presetId, setPresetId] = useState(() => presetFor(presets, profile));
  /** The server settings the stored password belongs to, and whether one is stored. */
  const [saved, setSaved] = useState(() =>
    profile
      ? { host: profile.host, port: profile.port, secure: profile.secure, requireTls: profile.requireTls, hasPassword: profile.hasPassword }
      : undefined,
  );
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState<'save' | 'test' | 'email' | 'delete' | null>(null);
  const [notice, setNotice] = useState<Result | null>(justSaved ? { ok: true, message: 'Saved.' } : null);
  const [testResult, setTestResult] = useState<Result | null>(null);
  const [emailTo, setEmailTo] = useState(userEmail);
  const [emailResult, setEmailResult] = useState<Result | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const readOnly = profile !== undefined && !profile.canManage;
  const preset = presets.find((p) => p.id === presetId);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setState((s) => ({ ...s, [key]: value }));
  const inputProps = (field: keyof FormState & string) => ({
    id: `${id}-${field}`,
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': errors[field] ? `${id}-${field}-error` : undefined,
  });

  const serverMoved =
    saved !== undefined &&
    (state.host.trim() !== saved.host || Number(state.port) !== saved.port || state.secure !== saved.secure || state.requireTls !== saved.requireTls);
  const passwordWillClear = saved?.hasPassword === true && state.password === '' && serverMoved;

  function choosePreset(next: string) {
    setPresetId(next);
    const p = presets.find((x) => x.id === next);
    if (!p) return;
    setState((s) => ({
      ...s,
      name: s.name.trim() ? s.name : p.label,
      host: p.host,
      port: String(p.port),
      secure: p.secure,
      requireTls: p.requireTls,
      ratePerSecond: text(p.ratePerSecond),
      dailyCap: text(p.dailyCap),
    }));
    setTestResult(null);
  }

  function toggleAgent(list: 'sharedWith' | 'defaultFor', agentId: string, on: boolean) {
    setState((s) => ({ ...s, [list]: on ? [...new Set([...s[list], agentId])] : s[list].filter((x) => x !== agentId) }));
  }

  /** Checks the form with the API's own schema; shows each problem under its field. */
  function validate() {
    const parsed = SmtpProfileInput.safeParse(toInput(state));
    if (parsed.success) return true;
    setErrors(issuesByField(parsed.error.issues));
    return false;
  }

  /** A 422 names its fields: show each under its input, and the summary in the result box. */
  function showApiError(error: ApiError, setResult: (r: Result) => void) {
    setErrors(fieldErrors(error));
    setResult({ ok: false, message: error.message });
  }

  async function onSave(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    setErrors({});
    if (!validate()) {
      setNotice({ ok: false, message: 'Fix the fields marked below, then save again.' });
      return;
    }
    setBusy('save');
    const body = { ...toInput(state), ...(isAdmin ? { sharedWith: state.sharedWith, defaultFor: state.defaultFor } : {}) };
    if (!profile) {
      const result = await callApi<{ id: string }>('POST', '/api/smtp-profiles', body);
      if (result.ok) {
        router.push(`/settings/smtp/${encodeURIComponent(result.data.id)}?saved=1`);
        return;
      }
      showApiError(result.error, setNotice);
      setBusy(null);
      return;
    }
    const result = await callApi<{ id: string; passwordCleared: boolean }>('PUT', `/api/smtp-profiles/${encodeURIComponent(profile.id)}`, body);
    setBusy(null);
    if (!result.ok) {
      showApiError(result.error, setNotice);
      return;
    }
    const hasPassword = state.password !== '' ? true : result.data.passwordCleared ? false : (saved?.hasPassword ?? false);
    setSaved({ host: state.host.trim(), port: Number(state.port), secure: state.secure, requireTls: state.requireTls, hasPassword });
    set('password', '');
    setNotice({
      ok: true,
      message: result.data.passwordCleared
        ? 'Saved. The server changed, so the saved password was cleared: enter it again if this server needs one.'
        : 'Saved.',
    });
    router.refresh();
  }

  async function onTestConnection() {
    setTestResult(null);
    setErrors({});
    if (!validate()) {
      setTestResult({ ok: false, message: 'Fix the fields marked below first.' });
      return;
    }
    setBusy('test');
    const result = await callApi<Result>('POST', '/api/smtp-profiles/test', { ...toInput(state), ...(profile ? { profileId: profile.id } : {}) });
    setBusy(null);
    if (result.ok) setTestResult(result.data);
    else showApiError(result.error, setTestResult);
  }

  async function onSendTestEmail() {
    if (!profile) return;
    setEmailResult(null);
    setBusy('email');
    const result = await callApi<Result>('POST', `/api/smtp-profiles/${encodeURIComponent(profile.id)}/test-email`, { to: emailTo });
    setBusy(null);
    if (result.ok) setEmailResult(result.data);
    else setEmailResult({ ok: false, message: fieldErrors(result.error).to ?? result.error.message });
  }

  async function onDelete() {
    if (!profile) return;
    if (!window.confirm(`Delete the SMTP profile “${profile.name}”? Flows that send with it must be changed first.`)) return;
    setDeleteError(null);
    setBusy('delete');
    const result = await callApi<null>('DELETE', `/api/smtp-profiles/${encodeURIComponent(profile.id)}`);
    if (result.ok) {
      router.push('/settings/smtp');
      router.refresh();
      return;
    }
    setDeleteError(result.error.message);
    setBusy(null);
  }

  const unsavedChanges = profile !== undefined && serverMoved;

  return (
    <div className="settings-layout">
      <form className="form card smtp-form" onSubmit={onSave} noValidate data-testid="smtp-form">
        {readOnly && (
          <p className="notice notice--info">
            {profile?.builtIn ? 'This profile is built in.' : 'This profile belongs to someone else.'} You may send with it and test it; only
            its owner or an admin can change it.
          </p>
        )}
        <fieldset className="form__group" disabled={readOnly}>
          <div className="field">
            <label htmlFor={`${id}-preset`}>Preset</label>
            <select id={`${id}-preset`} value={presetId} onChange={(e) => choosePreset(e.currentTarget.value)} data-testid="smtp-preset">
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
            <Field id={`${id}-name`} label="Name" field="name" errors={errors} hint="How the profile appears in Send nodes.">
              <input type="text" {...inputProps('name')} value={state.name} onChange={(e) => set('name', e.currentTarget.value)} data-testid="smtp-name" />
            </Field>
            <Field id={`${id}-description`} label="Description" field="description" errors={errors} hint="Optional: what it is for.">
              <input
                type="text"
                {...inputProps('description')}
                value={state.description}
                onChange={(e) => set('description', e.currentTarget.value)}
                data-testid="smtp-description"
              />
            </Field>
          </div>

          <h2>Server</h2>
          <div className="field-row field-row--server">
            <Field id={`${id}-host`} label="SMTP server" field="host" errors={errors}>
              <input
                type="text"
                {...inputProps('host')}
                value={state.host}
                onChange={(e) => set('host', e.currentTarget.value)}
                placeholder="smtp.example.com"
                autoComplete="off"
                spellCheck={false}
                data-testid="smtp-host"
              />
            </Field>
            <Field id={`${id}-port`} label="Port" field="port" errors={errors}>
              <input
                type="number"
                min={1}
                max={65535}
                {...inputProps('port')}
                value={state.port}
                onChange={(e) => set('port', e.currentTarget.value)}
                data-testid="smtp-port"
              />
            </Field>
          </div>
          <div className="field-row">
            <div className="field">
              <label className="check-field">
                <input type="checkbox" checked={state.secure} onChange={(e) => set('secure', e.currentTarget.checked)} data-testid="smtp-secure" />
                <span>
                  <strong>SSL</strong> <span className="muted">implicit TLS, usually port 465</span>
                </span>
              </label>
              {errors.secure && (
                <p className="field-error" data-testid="smtp-error-secure">
                  {errors.secure}
                </p>
              )}
            </div>
            <div className="field">
              <label className="check-field">
                <input
                  type="checkbox"
                  checked={state.requireTls}
                  onChange={(e) => set('requireTls', e.currentTarget.checked)}
                  data-testid="smtp-require-tls"
                />
                <span>
                  <strong>TLS</strong> <span className="muted">STARTTLS, required when on, usually port 587</span>
                </span>
              </label>
              {errors.requireTls && (
                <p className="field-error" data-testid="smtp-error-requireTls">
                  {errors.requireTls}
                </p>
              )}
            </div>
          </div>
          <div className="field-row">
            <Field id={`${id}-username`} label="User" field="username" errors={errors} hint="Often your full email address. Empty: no login.">
              <input
                type="text"
                {...inputProps('username')}
                value={state.username}
                onChange={(e) => set('username', e.currentTarget.value)}
                autoComplete="off"
                spellCheck={false}
                data-testid="smtp-username"
              />
            </Field>
            <Field
              id={`${id}-password`}
              label="Password"
              field="password"
              errors={errors}
              hint={saved?.hasPassword ? 'A password is saved. It is never shown; type a new one to replace it.' : 'Stored encrypted; never shown again.'}
            >
              <input
                type="password"
                {...inputProps('password')}
                value={state.password}
                onChange={(e) => set('password', e.currentTarget.value)}
                placeholder={saved?.hasPassword ? 'leave blank to keep' : saved ? 'no password saved' : ''}
                autoComplete="new-password"
                data-testid="smtp-password"
              />
            </Field>
          </div>
          {passwordWillClear && (
            <p className="notice notice--warning" role="status" data-testid="smtp-password-warning">
              The server, port or security changed and the password is blank: the saved password will be cleared when you save. Enter the password
              again to keep one.
            </p>
          )}

          <h2>Sender</h2>
          <div className="field-row field-row--3">
            <Field id={`${id}-fromEmail`} label="Email address (From)" field="fromEmail" errors={errors}>
              <input
                type="email"
                {...inputProps('fromEmail')}
                value={state.fromEmail}
                onChange={(e) => set('fromEmail', e.currentTarget.value)}
                placeholder="news@example.com"
                data-testid="smtp-from-email"
              />
            </Field>
            <Field id={`${id}-replyTo`} label="Reply-to address" field="replyTo" errors={errors} hint="Optional.">
              <input
                type="email"
                {...inputProps('replyTo')}
                value={state.replyTo}
                onChange={(e) => set('replyTo', e.currentTarget.value)}
                placeholder="support@example.com"
                data-testid="smtp-reply-to"
              />
            </Field>
            <Field id={`${id}-fromName`} label="Sender name" field="fromName" errors={errors} hint="Shown as the sender in the inbox.">
              <input
                type="text"
                {...inputProps('fromName')}
                value={state.fromName}
                onChange={(e) => set('fromName', e.currentTarget.value)}
                placeholder="Example News"
                data-testid="smtp-from-name"
              />
            </Field>
          </div>

          <h2>Sending limits</h2>
          <div className="field-row field-row--3">
            <Field id={`${id}-ratePerSecond`} label="Messages per second" field="ratePerSecond" errors={errors} hint="Empty: no limit.">
              <input
                type="number"
                min={0}
                step="any"
                {...inputProps('ratePerSecond')}
                value={state.ratePerSecond}
                onChange={(e) => set('ratePerSecond', e.currentTarget.value)}
                data-testid="smtp-rate"
              />
            </Field>
            <Field id={`${id}-maxConnections`} label="Max connections" field="maxConnections" errors={errors} hint="Open at once (1–50).">
              <input
                type="number"
                min={1}
                max={50}
                {...inputProps('maxConnections')}
                value={state.maxConnections}
                onChange={(e) => set('maxConnections', e.currentTarget.value)}
                data-testid="smtp-max-connections"
              />
            </Field>
            <Field id={`${id}-dailyCap`} label="Daily cap" field="dailyCap" errors={errors} hint="Recipients a day. Empty: none.">
              <input
                type="number"
                min={1}
                {...inputProps('dailyCap')}
                value={state.dailyCap}
                onChange={(e) => set('dailyCap', e.currentTarget.value)}
                data-testid="smtp-daily-cap"
              />
            </Field>
          </div>

          {isAdmin && (
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
                      const isDefault = state.defaultFor.includes(a.id);
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
                              onChange={(e) => toggleAgent('defaultFor', a.id, e.currentTarget.checked)}
                              data-testid={`smtp-default-for-${a.id}`}
                            />
                          </td>
                          <td>
                            <input
                              type="checkbox"
                              aria-label={`Share with ${a.email}`}
                              checked={isDefault || state.sharedWith.includes(a.id)}
                              disabled={isDefault}
                              title={isDefault ? 'An agent’s default profile is always shared with them' : undefined}
                              onChange={(e) => toggleAgent('sharedWith', a.id, e.currentTarget.checked)}
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
                An agent’s default profile sends their one-off messages and Send nodes set to “Agent’s default”; each agent has one (choosing it
                here replaces their previous default). Without one, the install default is used.
              </p>
              {(errors.sharedWith || errors.defaultFor) && (
                <p className="field-error" data-testid={`smtp-error-${errors.defaultFor ? 'defaultFor' : 'sharedWith'}`}>
                  {errors.defaultFor ?? errors.sharedWith}
                </p>
              )}
            </>
          )}
        </fieldset>

        {notice && (
          <p className={`notice ${notice.ok ? 'notice--success' : 'notice--error'}`} role={notice.ok ? 'status' : 'alert'} data-testid="smtp-notice">
            {notice.message}
          </p>
        )}
        {errors.form && <p className="notice notice--error">{errors.form}</p>}

        <div className="form__actions form__actions--split">
          <div className="button-row">
            {!readOnly && (
              <button type="submit" className="button primary" disabled={busy !== null} data-testid="smtp-save">
                {busy === 'save' ? 'Saving…' : 'Save'}
              </button>
            )}
            <button type="button" className="button" onClick={onTestConnection} disabled={busy !== null} data-testid="smtp-test-connection">
              {busy === 'test' ? 'Testing…' : 'Test connection'}
            </button>
          </div>
          {profile && profile.canManage && !profile.builtIn && (
            <button type="button" className="button danger" onClick={onDelete} disabled={busy !== null} data-testid="smtp-delete">
              {busy === 'delete' ? 'Deleting…' : 'Delete'}
            </button>
          )}
        </div>
        <p className="hint">Test connection connects and logs in with the values above, saved or not. Nothing is sent.</p>
        {testResult && <ResultBox result={testResult} testId="smtp-test-result" />}
        {deleteError && (
          <p className="notice notice--error" role="alert" data-testid="smtp-delete-error">
            {deleteError}
          </p>
        )}

        {profile && (
          <div className="test-email">
            <h2>Send a test email</h2>
            <p className="hint">
              Sends one message right away with the <strong>saved</strong> settings{unsavedChanges ? ' (save your changes first to test them)' : ''}.
            </p>
            <div className="inline-action">
              <input
                type="email"
                aria-label="Send the test email to"
                value={emailTo}
                onChange={(e) => setEmailTo(e.currentTarget.value)}
                placeholder="you@example.com"
                data-testid="smtp-test-email-to"
              />
              <button type="button" className="button" onClick={onSendTestEmail} disabled={busy !== null} data-testid="smtp-send-test-email">
                {busy === 'email' ? 'Sending…' : 'Send test email'}
              </button>
            </div>
            {emailResult && <ResultBox result={emailResult} testId="smtp-test-email-result" />}
          </div>
        )}
      </form>

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
                {preset.ratePerSecond === null ? 'no rate limit' : `${preset.ratePerSecond} message${preset.ratePerSecond === 1 ? '' : 's'}/s`}
                {preset.dailyCap === null ? '' : `, ${preset.dailyCap.toLocaleString('en-US')} a day`}
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
    </div>
  );
}
