'use client';
/**
 * A Send Email node's fields: sender, subject, preheader, the body as text, HTML or MJML (with a text
 * part written or generated), and a reply-to override, with "Insert a variable" for the template field
 * last focused. Every input carries `nodrag`.
 */
import { useContext, useId, useRef, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { FORMAT_LABELS } from '@domain/flow/field-labels';
import { BODY_FORMATS, type BodyFormat, MAX_PREHEADER, MAX_SUBJECT, type SendEmailData } from '@domain/flow/nodes/send-email';
import { AGENT_DEFAULT, AGENT_DEFAULT_LABEL } from '@domain/senders';
import { CharacterCount } from '@/components/character-count';
import { FieldError } from '@/components/flow-editor/field-error';
import { EditorContext } from '@/components/flow-editor/nodes';
import { VariablePicker } from '@/components/flow-editor/variable-picker';
import { startPool } from '@/components/flow-editor/pool-edits';
import { PoolFields } from '@/components/flow-editor/pool-fields';
import type { SenderProfile } from '@/components/flow-editor/types';

/** What a new MJML body starts with: a section that every client renders, the unsubscribe link in the footer. */
const MJML_STARTER = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text font-size="20px">Hi {{ name | default: "there" }},</mj-text>
        <mj-text>Write your message here.</mj-text>
        <mj-button href="https://example.com">Call to action</mj-button>
        <mj-text font-size="12px" color="#666666"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;
const HTML_STARTER = `<p>Hi {{ name | default: "there" }},</p>
<p>Write your message here.</p>
<p style="font-size:12px;color:#666"><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
`;

export function SendEmailFields(props: {
  data: SendEmailData;
  errors: FlowError[];
  profiles: readonly SenderProfile[];
  onChange: (d: SendEmailData) => void;
}) {
  const { data, errors, profiles, onChange } = props;
  const id = useId();
  const { attributes } = useContext(EditorContext);
  const attributeNames = attributes.map((a) => a.name);
  // The template fields, and the one a picked variable goes into (the cursor's place in it is kept on blur).
  const refs = {
    subject: useRef<HTMLInputElement>(null),
    preheader: useRef<HTMLInputElement>(null),
    html: useRef<HTMLTextAreaElement>(null),
    text: useRef<HTMLTextAreaElement>(null),
  };
  const [target, setTarget] = useState<keyof typeof refs>('text');
  const known = data.profileId === AGENT_DEFAULT || profiles.some((p) => p.id === data.profileId);
  const format = data.format ?? 'text';
  const into = target === 'html' && format === 'text' ? 'text' : target;
  const insert = (tag: string) => {
    const element = refs[into].current;
    const value = data[into] ?? '';
    const start = element?.selectionStart ?? value.length;
    const end = element?.selectionEnd ?? start;
    onChange({ ...data, [into]: value.slice(0, start) + tag + value.slice(end) });
    // Back in the field, the cursor after what was inserted.
    requestAnimationFrame(() => {
      element?.focus();
      element?.setSelectionRange(start + tag.length, start + tag.length);
    });
  };
  const setFormat = (next: BodyFormat) => {
    // A new HTML or MJML body starts from a small example; switching back to text keeps what was written.
    const html = next === 'text' || data.html?.trim() ? data.html : next === 'mjml' ? MJML_STARTER : HTML_STARTER;
    onChange({ ...data, format: next, ...(html !== undefined ? { html } : {}) });
  };
  return (
    <>
      {data.pool ? (
        <PoolFields data={{ ...data, pool: data.pool }} errors={errors} profiles={profiles} onChange={onChange} />
      ) : (
        <div className="field">
          <label htmlFor={`${id}-sender`}>Sender</label>
          <select
            id={`${id}-sender`}
            className="nodrag"
            value={data.profileId}
            onChange={(e) => onChange({ ...data, profileId: e.currentTarget.value })}
          >
            {!known && (
              <option value={data.profileId}>{data.profileId ? `Missing or not shared with you: “${data.profileId}”` : 'Choose a sender…'}</option>
            )}
            <option value={AGENT_DEFAULT}>{AGENT_DEFAULT_LABEL}</option>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.fromEmail})
              </option>
            ))}
          </select>
          <FieldError errors={errors} field="data.profileId" />
          {data.profileId === AGENT_DEFAULT && <p className="hint">Each run sends with the default SMTP profile of the user who starts it.</p>}
          <button type="button" className="button small" onClick={() => onChange(startPool(data, profiles))} data-testid="start-pool">
            Send through several profiles
          </button>
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-subject`}>Subject</label>
        <input
          id={`${id}-subject`}
          ref={refs.subject}
          onFocus={() => setTarget('subject')}
          className="nodrag"
          type="text"
          value={data.subject}
          onChange={(e) => onChange({ ...data, subject: e.currentTarget.value })}
          data-testid="send-subject"
        />
        <FieldError errors={errors} field="data.subject" />
        <CharacterCount value={data.subject} max={MAX_SUBJECT} over={false} testId="subject-count" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-preheader`}>
          Preheader <span className="muted">(optional)</span>
        </label>
        <input
          id={`${id}-preheader`}
          ref={refs.preheader}
          onFocus={() => setTarget('preheader')}
          className="nodrag"
          type="text"
          placeholder="The line inboxes show after the subject"
          value={data.preheader ?? ''}
          onChange={(e) => onChange({ ...data, preheader: e.currentTarget.value })}
          data-testid="send-preheader"
        />
        <FieldError errors={errors} field="data.preheader" />
        <CharacterCount value={data.preheader ?? ''} max={MAX_PREHEADER} over={false} />
        {format === 'text' && data.preheader && <p className="hint">A preheader is shown only with an HTML or MJML body.</p>}
      </div>
      <div className="field">
        <label htmlFor={`${id}-format`}>Body</label>
        <select
          id={`${id}-format`}
          className="nodrag"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value as BodyFormat)}
          data-testid="send-format"
        >
          {BODY_FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
        <FieldError errors={errors} field="data.format" />
      </div>
      {format !== 'text' && (
        <div className="field">
          <label htmlFor={`${id}-html`}>{format === 'mjml' ? 'MJML body' : 'HTML body'}</label>
          <textarea
            id={`${id}-html`}
            ref={refs.html}
            onFocus={() => setTarget('html')}
            className="nodrag nowheel code"
            rows={12}
            spellCheck={false}
            value={data.html ?? ''}
            onChange={(e) => onChange({ ...data, html: e.currentTarget.value })}
            data-testid="send-html"
          />
          <FieldError errors={errors} field="data.html" />
          {format === 'mjml' && (
            <p className="hint">
              MJML (mjml.io) is compiled to HTML that renders in Gmail, Outlook and Apple Mail when you publish. Put Liquid inside{' '}
              <code>mj-text</code>, <code>mj-button</code> or attributes.
            </p>
          )}
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-text`}>{format === 'text' ? 'Text' : 'Text part'}</label>
        <textarea
          id={`${id}-text`}
          ref={refs.text}
          onFocus={() => setTarget('text')}
          className="nodrag nowheel"
          rows={format === 'text' ? 9 : 4}
          placeholder={format === 'text' ? '' : 'Leave empty to generate it from the HTML'}
          value={data.text}
          onChange={(e) => onChange({ ...data, text: e.currentTarget.value })}
          data-testid="send-text"
        />
        <FieldError errors={errors} field="data.text" />
        <p className="hint">
          Liquid: <code>{'{{ name }}'}</code>, <code>{'{{ email }}'}</code> and any contact attribute (<code>{'{{ plan }}'}</code>, or{' '}
          <code>{'{{ plan | default: "friend" }}'}</code>), <code>{'{% if vip %}…{% endif %}'}</code>, in the subject too. Campaign messages carry an
          unsubscribe link: where <code>{'{{ unsubscribe_url }}'}</code> puts it, else at the end.
        </p>
      </div>
      <VariablePicker
        attributes={attributeNames}
        fieldLabel={
          {
            subject: 'Subject',
            preheader: 'Preheader',
            html: format === 'mjml' ? 'MJML body' : 'HTML body',
            text: format === 'text' ? 'Text' : 'Text part',
          }[into]
        }
        onInsert={insert}
      />
      <div className="field">
        <label htmlFor={`${id}-reply-to`}>
          Reply-to <span className="muted">(optional, instead of the sender’s)</span>
        </label>
        <input
          id={`${id}-reply-to`}
          className="nodrag"
          type="email"
          maxLength={254}
          placeholder="support@example.com"
          value={data.replyTo ?? ''}
          onChange={(e) => onChange({ ...data, replyTo: e.currentTarget.value })}
          data-testid="send-reply-to"
        />
        <FieldError errors={errors} field="data.replyTo" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-when-capped`}>If the contact had enough emails</label>
        <select
          id={`${id}-when-capped`}
          className="nodrag"
          value={data.whenCapped ?? 'skip'}
          onChange={(e) => onChange({ ...data, whenCapped: e.currentTarget.value === 'wait' ? 'wait' : 'skip' })}
          data-testid="send-when-capped"
        >
          <option value="skip">Skip this email</option>
          <option value="wait">Send it when the frequency cap allows</option>
        </select>
        <FieldError errors={errors} field="data.whenCapped" />
        <p className="hint">Applies only when an admin turned on the frequency cap in Settings.</p>
      </div>
    </>
  );
}
