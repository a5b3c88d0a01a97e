/** Migration 330: what the pace learns about the server's window (server/smtp/pace-controller.ts). */
import type { Kysely, Migration } from 'kysely';

export const paceMigrations: Record<string, Migration> = {
  '330_pace_windows': {
    async up(db: Kysely<unknown>) {
      const columns: [string, number][] = [
        // Since when the server's current window is counted, what it accepted since, and the last accepted message.
        ['window_since_us', 0],
        ['window_accepted', 0],
        ['last_accepted_us', 0],
        // The last throttle reply: the window ended after it.
        ['last_refused_us', 0],
        // Throttle replies since the last accepted message, and what the window had accepted at the first (-1: none).
        ['in_row', 0],
        ['quota', -1],
        // The back-off (0: none) and no send before paused_until_us; the server's window as learned.
        ['backoff_ms', 0],
        ['paused_until_us', 0],
        ['paused_since_us', 0],
        ['window_ms', 1000],
      ];
      for (const [name, initial] of columns) {
        await db.schema
          .alterTable('smtp_throttle')
          .addColumn(name, 'integer', (c) => c.notNull().defaultTo(initial))
          .execute();
      }
      // What the learned window surely does not sustain (messages/s; 0: none known).
      await db.schema
        .alterTable('smtp_throttle')
        .addColumn('ceiling_rate', 'real', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
};
