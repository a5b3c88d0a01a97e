/** The table of opens and clicks (migration 450), part of the app database's `Tables` (server/db/tables.ts). */
import type { Generated } from 'kysely';

export interface TrackingTables {
  /** An open (the pixel fetched) or a click (a tracked link followed). */
  trackingEvents: {
    id: Generated<number>;
    kind: 'open' | 'click';
    runId: string;
    nodeId: string;
    contactId: string;
    /** A click's link: its place in the message and its address; an open: -1 and ''. */
    linkIndex: number;
    url: string;
    at: number;
    userAgent: string;
    /** 1: a privacy proxy, a prefetch right after delivery, or a link scanner, not a person. */
    machine: number;
  };
}
