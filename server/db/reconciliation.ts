/**
 * A run's reconciliation, from its cohort (run_recipients) and its send ledger (sends): each recipient
 * in one set (domain/delivery-log.ts, RECONCILE_SETS) with a reason, counted, listed by contact id
 * (keyset), and enrolled as the audience of a new run ("send to these"), all from one definition.
 */
import type { ReconcileSelection, ReconcileSet, SetChoice } from '../../domain/delivery-log';
import { bigint, type Db, now, sql } from '.';
import { DELETED_CONTACT } from './contact-erasure';

/**
 * Every recipient of the run with its set and reason. The set: failed (a send FAILED, or the recipient
 * failed), uncertain (a send UNCERTAIN, or held for review), skipped, received (a send SENT), else unsent.
 * The reason: a failed recipient's failure class (from the reply code of its last failed attempt), a
 * skipped one's subscription now (or frequency_capped: the cap skipped it), an unsent one's state (waiting, due, sending, retrying, cancelled,
 * completed: left the flow without a send).
 */
function classified(db: Db, runId: string, nowMs: number, only?: ReconcileSet) {
  // Each a probe of the sends_contact index (migration 270).
  const has = (status: 'FAILED' | 'UNCERTAIN' | 'SENT') =>
    sql<boolean>`exists (select 1 from sends s where s.run_id = rr.run_id and s.contact_id = rr.contact_id and s.status = ${status})`;
  const setName = sql<ReconcileSet>`case
    when rr.status = 'failed' or ${has('FAILED')} then 'failed'
    when rr.status = 'held' or ${has('UNCERTAIN')} then 'uncertain'
    when rr.status = 'skipped' then 'skipped'
    when ${has('SENT')} then 'received'
    else 'unsent' end`;
  const lastFailedCode = sql`(select da.smtp_code from delivery_attempts da
    where da.run_id = rr.run_id and da.contact_id = rr.contact_id and da.outcome = 'failed' order by da.id desc limit 1)`;
  const reason = sql<string>`case
    when rr.status = 'failed' or ${has('FAILED')} then
      case when ${lastFailedCode} >= 500 then 'rejected' when ${lastFailedCode} >= 400 then 'deferred' else 'no-reply' end
    when rr.status = 'held' or ${has('UNCERTAIN')} then ''
    when rr.status = 'skipped' and exists (select 1 from delivery_attempts da
      where da.run_id = rr.run_id and da.contact_id = rr.contact_id and da.outcome = 'frequency_capped') then 'frequency_capped'
    when rr.status = 'skipped' then coalesce((select c.status from contacts c where c.id = rr.contact_id), 'deleted')
    when ${has('SENT')} then ''
    when rr.status = 'pending' then case when rr.due_at > ${nowMs} then 'waiting' else 'due' end
    else rr.status end`;
  let q = db
    .selectFrom('runRecipients as rr')
    .select(['rr.contactId', setName.as('setName'), reason.as('reason')])
    .where('rr.runId', '=', runId);
  // Only the candidates of one set, found by index (failed, uncertain and skipped are usually few); the set itself is then checked on each.
  const inLedger = (status: 'FAILED' | 'UNCERTAIN') =>
    sql<boolean>`rr.contact_id in (select s.contact_id from sends s where s.run_id = ${runId} and s.status = ${status})`;
  if (only === 'failed') q = q.where((eb) => eb.or([eb('rr.status', '=', 'failed'), inLedger('FAILED')]));
  if (only === 'uncertain') q = q.where((eb) => eb.or([eb('rr.status', '=', 'held'), inLedger('UNCERTAIN')]));
  if (only === 'skipped') q = q.where('rr.status', '=', 'skipped');
  return q;
}

export interface ReconcileCount {
  set: ReconcileSet;
  reason: string;
  count: number;
}

/** How many recipients of the run are in each set, by reason. */
export async function reconcileCounts(db: Db, runId: string, nowMs: number): Promise<ReconcileCount[]> {
  const rows = await db
    .selectFrom(classified(db, runId, nowMs).as('c'))
    .select(['c.setName', 'c.reason', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['c.setName', 'c.reason'])
    .orderBy('c.setName')
    .orderBy('c.reason')
    .execute();
  return rows.map((r) => ({ set: r.setName, reason: r.reason, count: Number(r.n) }));
}

function selected(db: Db, runId: string, choice: SetChoice, nowMs: number) {
  const only = choice.sets.length === 1 ? choice.sets[0] : undefined;
  let q = db.selectFrom(classified(db, runId, nowMs, only).as('c')).where('c.setName', 'in', [...choice.sets]);
  if (choice.reason !== undefined) q = q.where('c.reason', '=', choice.reason);
  return q;
}

export interface ReconciledRecipient {
  contactId: string;
  email: string;
  reason: string;
}

/** A page of one set's recipients (with a reason, just those), in contact id order after `after`. */
export async function reconcileList(
  db: Db,
  runId: string,
  selection: ReconcileSelection,
  page: { after?: string | undefined; limit: number },
  nowMs: number,
): Promise<{ items: ReconciledRecipient[]; next: string | null }> {
  let q = selected(db, runId, { sets: [selection.set], reason: selection.reason }, nowMs)
    .leftJoin('contacts', 'contacts.id', 'c.contactId')
    .select(['c.contactId', 'c.reason', sql<string>`coalesce(contacts.email, ${DELETED_CONTACT})`.as('email')]);
  if (page.after) q = q.where('c.contactId', '>', page.after);
  const rows = await q
    .orderBy('c.contactId')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit);
  return { items, next: rows.length > page.limit ? (items.at(-1)?.contactId ?? null) : null };
}

/**
 * Enrols sets of a run, as they are now, as the recipients of another run, due now at its entry step:
 * the snapshot "send to these" sends to. Returns how many.
 */
export async function enrollReconciledSet(
  db: Db,
  from: { runId: string; choice: SetChoice },
  to: { runId: string; entry: string; workflowId: string; dueAt: number },
): Promise<number> {
  const at = now();
  const result = await db
    .insertInto('runRecipients')
    .columns(['runId', 'contactId', 'nodeId', 'status', 'dueAt', 'workflowId', 'updatedAt'])
    .expression(
      selected(db, from.runId, from.choice, to.dueAt).select([
        sql<string>`${to.runId}`.as('runId'),
        'c.contactId',
        sql<string>`${to.entry}`.as('nodeId'),
        sql<string>`'pending'`.as('status'),
        bigint(to.dueAt).as('dueAt'),
        sql<string>`${to.workflowId}`.as('workflowId'),
        sql<string>`${at}`.as('updatedAt'),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}
