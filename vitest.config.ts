import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (dir: string) => fileURLToPath(new URL(dir, import.meta.url));

/**
 * The files of `npm run test:unit` (the "unit" project below): the tests that need no Temporal
 * server, browser or started product (pure code, SQLite and the run's throwaway PostgreSQL server,
 * in-process SMTP servers). Nothing in them starts a server two files would fight over, so they run side
 * by side; `npm test` runs them first, then every other file three at a time, each on ports of its own. A new test file that starts
 * none of those belongs in this list (test/unit-list.test.ts checks it).
 */
export const UNIT_TESTS = [
  'test/architecture.test.ts',
  'test/send-limits-db.test.ts',
  'test/send-limits.test.ts',
  'test/audience-owners.test.ts',
  'test/audiences.test.ts',
  'test/campaign-steps-db.test.ts',
  'test/cohort-state.test.ts',
  'test/compile-condition.test.ts',
  'test/compile-properties.test.ts',
  'test/compile.test.ts',
  'test/contact-filter.test.ts',
  'test/contact-import.test.ts',
  'test/date-trigger.test.ts',
  'test/import-limits.test.ts',
  'test/list-entries.test.ts',
  'test/segment-entries.test.ts',
  'test/contacts.test.ts',
  'test/crypto.test.ts',
  'test/draw-properties.test.ts',
  'test/editor-condition.test.ts',
  'test/editor-logic.test.ts',
  'test/event-limits.test.ts',
  'test/event-log.test.ts',
  'test/event-properties.test.ts',
  'test/filter-editor.test.ts',
  'test/flow-diff.test.ts',
  'test/frequency-cap.test.ts',
  'test/getting-started.test.ts',
  'test/goal.test.ts',
  'test/flow-lifecycle.test.ts',
  'test/delivery-log.test.ts',
  'test/log.test.ts',
  'test/placing.test.ts',
  'test/pool.test.ts',
  'test/portable.test.ts',
  'test/postgres-schema.test.ts',
  'test/publish-condition.test.ts',
  'test/rate-limits.test.ts',
  'test/reader-locale.test.ts',
  'test/recipient-claims.test.ts',
  'test/run-page.test.ts',
  'test/run-forecast.test.ts',
  'test/run-report.test.ts',
  'test/run-schedule.test.ts',
  'test/replay.test.ts',
  'test/reputation-guard.test.ts',
  'test/sandbox-read.test.ts',
  'test/sandbox-shapes.test.ts',
  'test/pace-controller.test.ts',
  'test/sandbox-store.test.ts',
  'test/sandbox-mailbox.test.ts',
  'test/security/http-guard.test.ts',
  'test/security/outbound.test.ts',
  'test/security/secrets.test.ts',
  'test/segments.test.ts',
  'test/send-email.test.ts',
  'test/send-html.test.ts',
  'test/send-lease-renewal.test.ts',
  'test/send-leases.test.ts',
  'test/send-stages.test.ts',
  'test/send-test-email.test.ts',
  'test/send-thread.test.ts',
  'test/send-window.test.ts',
  'test/sending-policy.test.ts',
  'test/sign-in-limits.test.ts',
  'test/smtp-connection.test.ts',
  'test/smtp-mime.test.ts',
  'test/smtp-profiles.test.ts',
  'test/smtp-test-connection.test.ts',
  'test/smtp-tls-trust.test.ts',
  'test/split.test.ts',
  'test/step-registry.test.ts',
  'test/template-pool.test.ts',
  'test/templates.test.ts',
  'test/templates-print.test.ts',
  'test/template-variables.test.ts',
  'test/temporal-codec.test.ts',
  'test/tracking.test.ts',
  'test/unit-list.test.ts',
  'test/user-deletion.test.ts',
  'test/webhook.test.ts',
  'test/workflow-code.test.ts',
];

/** Tests that assert a pace from below (a rate reached, a learned rate above a floor): run with the machine to themselves. */
const PACED_TESTS = ['test/throttle.test.ts', 'test/campaign-faults.test.ts'];

export default defineConfig({
  // The web app's import aliases (tsconfig.json "paths"), for tests that load its modules.
  resolve: { alias: { '@/': here('./web/'), '@server/': here('./server/'), '@domain/': here('./domain/') } },
  test: {
    // Temporal workers and the sending thread use native threads: run test files in forked processes.
    pool: 'forks',
    // One throwaway PostgreSQL server for the run (the database tests run against SQLite and against it),
    // and the web app and the workflow bundle built once for every product and worker the tests start.
    globalSetup: ['test/postgres.ts', 'test/build-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    projects: [
      // First, two at a time: the files that start no Temporal server, browser or product (`npm run test:unit`).
      { extends: true, test: { name: 'unit', include: UNIT_TESTS, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Then three at a time: the browser tests and the engine's tests on real Temporal servers. Each starts
      // its own servers on ports of its own, and spends much of its time waiting on them (two at a time kept
      // 1.3 of this machine's 2 cores busy, and took 13 of npm test's 16 minutes).
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT_TESTS, ...PACED_TESTS],
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      // Last: the tests that measure a pace from below (it must reach a rate, not only stay under it).
      { extends: true, test: { name: 'paced', include: PACED_TESTS, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
