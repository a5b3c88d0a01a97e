/** The segment check's activities (workflows/segment-check.ts): thin, heartbeating adapters over server/segment-entries.ts. */
import { Context } from '@temporalio/activity';
import { checkChangedContacts, type ScanCursor, scanSegments } from '../server/segment-entries';
import type { ActivityDeps } from '.';

export function createSegmentCheckActivities(deps: Pick<ActivityDeps, 'db' | 'temporal' | 'taskQueue'>) {
  const heartbeat = () => Context.current().heartbeat();
  return {
    /** Looks at the contacts changed since the last look: who entered a segment a flow starts on, or a journey's goal. */
    async checkChangedContacts(): Promise<{ checked: number; started: number; firstLookDue: boolean }> {
      return checkChangedContacts(deps, heartbeat);
    },
    /** Looks at a few pages of every contact; returns where the next call goes on, null when done. */
    async scanSegments(cursor: ScanCursor | null): Promise<ScanCursor | null> {
      return scanSegments(deps, cursor, heartbeat);
    },
  };
}
