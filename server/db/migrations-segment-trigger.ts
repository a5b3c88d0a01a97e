/** Migrations for flows triggered by entering a segment (420–429). */
import type { Kysely, Migration } from 'kysely';

export const segmentTriggerMigrations: Record<string, Migration> = {
  /**
   * segment_watches: each flow whose Trigger is entering a segment (or whose goal is: segment_id null), with the segment it watches and
   * when its first look at the segment finished (null until then: the contacts already in it when the
   * flow was published are remembered, not entered). segment_watch_members: who was in the segment when
   * the flow last looked (a contact not in it who now is has entered). segment_checks: contacts changed
   * since the last check (an outbox written with the change, drained by the segment check workflow).
   */
  '420_segment_trigger': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('segment_watches')
        .addColumn('flow_id', 'text', (c) => c.primaryKey())
        .addColumn('segment_id', 'text')
        .addColumn('ready_at', 'text')
        .execute();
      await db.schema
        .createTable('segment_watch_members')
        .addColumn('flow_id', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('segment_watch_members_pk', ['flow_id', 'contact_id'])
        .execute();
      await db.schema
        .createTable('segment_checks')
        .addColumn('contact_id', 'text', (c) => c.primaryKey())
        .addColumn('changed_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
