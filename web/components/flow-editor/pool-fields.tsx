'use client';
/**
 * A Send Email node's pool of senders (domain/flow/pool.ts): several SMTP profiles with weights. Each
 * recipient goes to one member, about its weight's share of them; a member that pauses passes its
 * share to the others. The first member is also the node's `profileId`. Every input carries `nodrag`.
 */
import { useId } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { SendEmailData } from '@domain/flow/nodes/send-email';
import { MAX_POOL_MEMBERS, MAX_WEIGHT, type PoolMember } from '@domain/flow/pool';
import { AGENT_DEFAULT, AGENT_DEFAULT_LABEL } from '@domain/senders';
import { FieldError } from '@/components/flow-editor/field-error';
import { nextProfile, withPool } from '@/components/flow-editor/pool-edits';
import type { SenderProfile } from '@/components/flow-editor/types';

export function PoolFields(props: {
  data: SendEmailData & { pool: PoolMember[] };
  errors: FlowError[];
  profiles: readonly SenderProfile[];
  onChange: (d: SendEmailData) => void;
}) {
  const { data, errors, profiles, onChange } = props;
  const id = useId();
  const pool = data.pool;
  const total = pool.reduce((sum, m) => sum + (Number.isFinite(m.weight) ? m.weight : 0), 0);
  const setMember = (i: number, member: PoolMember) =>
    onChange(
      withPool(
        data,
        pool.map((m, j) => (j === i ? member : m)),
      ),
    );
  // Keyed by profile (the second of a profile, while one is being changed, by its count).
  const rows = pool.map((member, i) => ({
    member,
    i,
    key: `${member.profileId}#${pool.slice(0, i).filter((m) => m.profileId === member.profileId).length}`,
  }));
  const known = (profileId: string) => profileId === AGENT_DEFAULT || profiles.some((p) => p.id === profileId);
  return (
    <fieldset className="field" data-testid="sender-pool">
      <legend>Senders (a pool)</legend>
      <p className="hint">
        Each recipient gets one of these profiles, about its weight’s share; a profile that pauses passes its share to the others.
      </p>
      {rows.map(({ member, i, key }) => (
        <div className="field-row" key={key} data-testid={`pool-member-${i}`}>
          <div className="field">
            <label htmlFor={`${id}-profile-${i}`}>Profile</label>
            <select
              id={`${id}-profile-${i}`}
              className="nodrag"
              value={member.profileId}
              onChange={(e) => setMember(i, { ...member, profileId: e.currentTarget.value })}
            >
              {!known(member.profileId) && (
                <option value={member.profileId}>
                  {member.profileId ? `Missing or not shared with you: “${member.profileId}”` : 'Choose a sender…'}
                </option>
              )}
              <option value={AGENT_DEFAULT}>{AGENT_DEFAULT_LABEL}</option>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.fromEmail})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-weight-${i}`}>Weight</label>
            <input
              id={`${id}-weight-${i}`}
              className="nodrag"
              type="number"
              min={1}
              max={MAX_WEIGHT}
              step={1}
              value={Number.isFinite(member.weight) ? member.weight : ''}
              onChange={(e) => setMember(i, { ...member, weight: e.currentTarget.valueAsNumber })}
              data-testid={`pool-weight-${i}`}
            />
          </div>
          <p className="hint" data-testid={`pool-share-${i}`}>
            {total > 0 && Number.isFinite(member.weight) ? `≈ ${Math.round((member.weight / total) * 100)}% of recipients` : '—'}
          </p>
          <button
            type="button"
            className="button small danger"
            aria-label={`Remove pool member ${i + 1}`}
            onClick={() =>
              onChange(
                withPool(
                  data,
                  pool.filter((_, j) => j !== i),
                ),
              )
            }
          >
            Remove
          </button>
          <FieldError errors={errors} field={`data.pool.${i}`} />
        </div>
      ))}
      <FieldError errors={errors} field="data.pool" exact={['']} />
      <button
        type="button"
        className="button small"
        disabled={pool.length >= MAX_POOL_MEMBERS}
        onClick={() => onChange(withPool(data, [...pool, { profileId: nextProfile(pool, profiles), weight: 1 }]))}
        data-testid="add-pool-member"
      >
        Add a profile
      </button>
    </fieldset>
  );
}
