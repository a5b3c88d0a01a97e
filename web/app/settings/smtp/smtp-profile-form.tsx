'use client';
/**
 * The SMTP profile form, for a new profile and for editing one. The browser checks it with the same
 * SmtpProfileInput schema as the API. The password is write-only: it is never loaded, only replaced.
 * Its state lives in one reducer (smtp-form-state.ts); the sections only show it and dispatch.
 */
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useReducer } from 'react';
import type { SmtpPreset } from '@domain/smtp-presets';
import type { SmtpProfileView } from '@server/profiles';
import { callApi } from '@/lib/api-client';
import type {
  AgentOption,
  SaveSmtpProfileBody,
  SmtpCheck,
  SmtpProfileCreated,
  SmtpProfileSaved,
  TestConnectionBody,
  TestEmailBody,
} from '@/lib/api-types';
import { PresetHints } from '@/app/settings/smtp/preset-hints';
import { initialFormState, invalidFields, serverMoved, smtpFormReducer, toInput } from '@/app/settings/smtp/smtp-form-state';
import { GuardSection } from '@/app/settings/smtp/guard-section';
import { LimitsSection } from '@/app/settings/smtp/limits-section';
import { ProfileSection, SenderSection, ServerSection, SharingSection, TlsTrustSection } from '@/app/settings/smtp/smtp-form-sections';

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

/** The class of a failed Test connection or test email, as a heading for its advice. */
const FAILURE_TITLES: Record<NonNullable<SmtpCheck['failure']>, string> = {
  blocked: 'Not allowed',
  dns: 'Host not found',
  connect: 'No connection',
  'not-smtp': 'Not an SMTP server',
  tls: 'TLS',
  'plain-auth': 'Login without TLS',
  auth: 'Login refused',
  refused: 'Refused',
  other: 'Failed',
};

function ResultBox({ result, testId }: { result: SmtpCheck; testId: string }) {
  return (
    <p className={`notice ${result.ok ? 'notice--success' : 'notice--error'}`} role="status" data-testid={testId} data-ok={String(result.ok)}>
      {result.failure && <strong>{FAILURE_TITLES[result.failure]}: </strong>}
      {result.message}
    </p>
  );
}

export function SmtpProfileForm({ profile, presets, agents, isAdmin, userEmail, justSaved = false }: Props) {
  const router = useRouter();
  const id = useId();
  const [state, dispatch] = useReducer(smtpFormReducer, { profile, presets, userEmail, justSaved }, initialFormState);
  const { values, errors, busy, outcomes, saved } = state;

  const readOnly = profile !== undefined && !profile.canManage;
  const moved = serverMoved(state);
  const passwordWillClear = saved?.hasPassword === true && values.password === '' && moved;
  const section = { id, values, errors, dispatch };

  async function onSave(event: FormEvent) {
    event.preventDefault();
    const invalid = invalidFields(values);
    if (invalid) return dispatch({ type: 'invalid', task: 'save', errors: invalid });
    dispatch({ type: 'start', task: 'save' });
    const sent = values;
    const body = {
      ...toInput(sent),
      ...(isAdmin ? { sharedWith: sent.sharedWith, defaultFor: sent.defaultFor } : {}),
    } satisfies SaveSmtpProfileBody;
    if (!profile) {
      const result = await callApi<SmtpProfileCreated>('POST', '/api/smtp-profiles', body);
      if (result.ok) return router.push(`/settings/smtp/${encodeURIComponent(result.data.id)}?saved=1`);
      return dispatch({ type: 'failed', task: 'save', error: result.error });
    }
    const result = await callApi<SmtpProfileSaved>('PUT', `/api/smtp-profiles/${encodeURIComponent(profile.id)}`, body);
    if (!result.ok) return dispatch({ type: 'failed', task: 'save', error: result.error });
    dispatch({ type: 'saved', sent, passwordCleared: result.data.passwordCleared });
    router.refresh();
  }

  /** An admin trusts the certificate Test connection just showed: its fingerprint becomes the pin (instead of a CA). */
  function pin(fingerprint: string) {
    dispatch({ type: 'text', field: 'tlsCa', value: '' });
    dispatch({ type: 'text', field: 'tlsPin', value: fingerprint });
  }

  async function onTestConnection() {
    const invalid = invalidFields(values);
    if (invalid) return dispatch({ type: 'invalid', task: 'test', errors: invalid });
    dispatch({ type: 'start', task: 'test' });
    const body = { ...toInput(values), ...(profile ? { profileId: profile.id } : {}) } satisfies TestConnectionBody;
    const result = await callApi<SmtpCheck>('POST', '/api/smtp-profiles/test', body);
    dispatch(result.ok ? { type: 'answered', task: 'test', result: result.data } : { type: 'failed', task: 'test', error: result.error });
  }

  async function onSendTestEmail() {
    if (!profile) return;
    dispatch({ type: 'start', task: 'email' });
    const body = { to: state.emailTo } satisfies TestEmailBody;
    const result = await callApi<SmtpCheck>('POST', `/api/smtp-profiles/${encodeURIComponent(profile.id)}/test-email`, body);
    dispatch(result.ok ? { type: 'answered', task: 'email', result: result.data } : { type: 'failed', task: 'email', error: result.error });
  }

  async function onDelete() {
    if (!profile) return;
    if (!window.confirm(`Delete the SMTP profile “${profile.name}”? Flows that send with it must be changed first.`)) return;
    dispatch({ type: 'start', task: 'delete' });
    const result = await callApi<null>('DELETE', `/api/smtp-profiles/${encodeURIComponent(profile.id)}`);
    if (!result.ok) return dispatch({ type: 'failed', task: 'delete', error: result.error });
    router.push('/settings/smtp');
    router.refresh();
  }

  const notice = outcomes.save;
  return (
    <div className="settings-layout">
      <form className="form card smtp-form" onSubmit={onSave} noValidate data-testid="smtp-form">
        {readOnly && (
          <p className="notice notice--info">
            {profile?.builtIn ? 'This profile is built in.' : 'This profile belongs to someone else.'} You may send with it and test it; only its
            owner or an admin can change it.
          </p>
        )}
        <fieldset className="form__group" disabled={readOnly}>
          <ProfileSection {...section} presets={presets} presetId={state.presetId} />
          <ServerSection {...section} saved={saved} passwordWillClear={passwordWillClear} isAdmin={isAdmin} />
          <TlsTrustSection {...section} isAdmin={isAdmin} />
          <SenderSection {...section} />
          <LimitsSection {...section} />
          <GuardSection {...section} />
          {isAdmin && <SharingSection {...section} agents={agents} />}
        </fieldset>

        {notice && (
          <p className={`notice ${notice.ok ? 'notice--success' : 'notice--error'}`} role={notice.ok ? 'status' : 'alert'} data-testid="smtp-notice">
            {notice.message}
          </p>
        )}

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
          {profile?.canManage && !profile.builtIn && (
            <button type="button" className="button danger" onClick={onDelete} disabled={busy !== null} data-testid="smtp-delete">
              {busy === 'delete' ? 'Deleting…' : 'Delete'}
            </button>
          )}
        </div>
        <p className="hint">
          Test connection connects, logs in and asks the server to take mail from the sender address, as a send does, with the values above, saved or
          not. Nothing is sent.
        </p>
        {outcomes.test && <ResultBox result={outcomes.test} testId="smtp-test-result" />}
        {isAdmin && !readOnly && outcomes.test?.certificate && outcomes.test.certificate.fingerprint256 !== values.tlsPin && (
          <div className="button-row">
            <button
              type="button"
              className="button"
              onClick={() => pin(outcomes.test?.certificate?.fingerprint256 ?? '')}
              data-testid="smtp-pin-certificate"
            >
              Pin this certificate (trust only it for this profile)
            </button>
          </div>
        )}
        {outcomes.delete && (
          <p className="notice notice--error" role="alert" data-testid="smtp-delete-error">
            {outcomes.delete.message}
          </p>
        )}

        {profile && (
          <div className="test-email">
            <h2>Send a test email</h2>
            <p className="hint">
              Sends one message right away with the <strong>saved</strong> settings{moved ? ' (save your changes first to test them)' : ''}.
            </p>
            <div className="inline-action">
              <input
                type="email"
                aria-label="Send the test email to"
                value={state.emailTo}
                onChange={(e) => dispatch({ type: 'emailTo', value: e.currentTarget.value })}
                placeholder="you@example.com"
                data-testid="smtp-test-email-to"
              />
              <button type="button" className="button" onClick={onSendTestEmail} disabled={busy !== null} data-testid="smtp-send-test-email">
                {busy === 'email' ? 'Sending…' : 'Send test email'}
              </button>
            </div>
            {outcomes.email && <ResultBox result={outcomes.email} testId="smtp-test-email-result" />}
          </div>
        )}
      </form>

      <PresetHints preset={presets.find((p) => p.id === state.presetId)} />
    </div>
  );
}
