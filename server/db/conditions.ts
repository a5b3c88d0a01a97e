/**
 * What a Condition step needs to know of its contacts, read in one go for a page of them: the contact
 * (attributes, email, name), its membership of the lists the step tests, which of the tested segments
 * it matches (each segment's rules evaluated by the database for the whole chunk, `filterCondition`),
 * the outcome of each Send Email the step tests, from the send ledger (SENT: sent, FAILED: failed,
 * else skipped), and the opens and clicks of those whose opens and clicks it tests (server/db/tracking.ts).
 */
import type { ConditionFacts, ConditionStep, SendOutcome } from '../../domain/flow/nodes/condition';
import { testedBy } from '../../domain/flow/nodes/condition';
import { ContactAttributes } from '../../domain/contact';
import type { Db } from '.';
import { filterCondition } from './contact-filter';
import { getSegment } from './segments';
import { engagementOf } from './tracking';

const CHUNK = 500;

function parseAttributes(json: string): ConditionFacts['contact']['attributes'] {
  try {
    const parsed = ContactAttributes.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** The facts for each of these contacts (a contact that no longer exists is left out). */
export async function conditionFacts(
  db: Db,
  runId: string,
  contactIds: string[],
  step: Pick<ConditionStep, 'branches'>,
  /** Outcomes the caller already knows (a journey keeps its own): the ledger is not read for them. */
  knownSends?: Readonly<Record<string, SendOutcome>>,
): Promise<Map<string, ConditionFacts>> {
  const { listIds, segmentIds, sendNodeIds, engagedNodeIds } = testedBy(step);
  const fromLedger = knownSends ? [] : sendNodeIds;
  const needsContact = step.branches.some((b) => b.test.kind === 'attributes');
  // Each segment's rules as saved now; a segment deleted since publishing matches nobody.
  const segments = (await Promise.all(segmentIds.map((id) => getSegment(db, id)))).flatMap((s) => s ?? []);
  const facts = new Map<string, ConditionFacts>();
  for (let i = 0; i < contactIds.length; i += CHUNK) {
    const ids = contactIds.slice(i, i + CHUNK);
    const people = await db
      .selectFrom('contacts')
      .select(['id', 'email', 'name', ...(needsContact ? (['attributes'] as const) : [])])
      .where('id', 'in', ids)
      .execute();
    for (const p of people) {
      const attributes = 'attributes' in p && typeof p.attributes === 'string' ? parseAttributes(p.attributes) : {};
      facts.set(p.id, {
        contact: { email: p.email, name: p.name || null, attributes },
        lists: new Set(),
        segments: new Set(),
        sends: knownSends ?? {},
      });
    }
    if (engagedNodeIds.length > 0) {
      for (const [contactId, engagement] of await engagementOf(db, runId, ids, engagedNodeIds)) {
        const f = facts.get(contactId);
        if (f) f.engagement = engagement;
      }
    }
    for (const segment of segments) {
      const members = await db.selectFrom('contacts').select('id').where('id', 'in', ids).where(filterCondition(db, segment.filter)).execute();
      for (const m of members) (facts.get(m.id)?.segments as Set<string> | undefined)?.add(segment.id);
    }
    if (listIds.length > 0) {
      const members = await db
        .selectFrom('listMembers')
        .select(['listId', 'contactId'])
        .where('contactId', 'in', ids)
        .where('listId', 'in', listIds)
        .execute();
      for (const m of members) (facts.get(m.contactId)?.lists as Set<string> | undefined)?.add(m.listId);
    }
    if (fromLedger.length > 0) {
      const sends = await db
        .selectFrom('sends')
        .select(['nodeId', 'contactId', 'status'])
        .where('runId', '=', runId)
        .where('contactId', 'in', ids)
        .where('nodeId', 'in', fromLedger)
        .execute();
      for (const s of sends) {
        const outcome: SendOutcome = s.status === 'SENT' ? 'sent' : s.status === 'FAILED' ? 'failed' : 'skipped';
        const f = facts.get(s.contactId);
        if (f) f.sends = { ...f.sends, [s.nodeId]: outcome };
      }
    }
  }
  return facts;
}
