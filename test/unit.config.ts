/**
 * `npm run test:unit`: the tests that need no Temporal server, browser or started product (pure code,
 * SQLite and the run's throwaway PostgreSQL server, in-process SMTP servers), for a quick check while working. `npm test` runs these and all the
 * others, each once (vitest.config.ts takes every test file). A new test file that starts none of
 * those belongs in this list.
 */
import base from '../vitest.config';

export const UNIT_TESTS = [
  'test/architecture.test.ts',
  'test/audience-owners.test.ts',
  'test/audiences.test.ts',
  'test/cohort-state.test.ts',
  'test/compile-condition.test.ts',
  'test/compile-properties.test.ts',
  'test/compile.test.ts',
  'test/contact-filter.test.ts',
  'test/contact-import.test.ts',
  'test/import-limits.test.ts',
  'test/contacts.test.ts',
  'test/crypto.test.ts',
  'test/draw-properties.test.ts',
  'test/editor-condition.test.ts',
  'test/editor-logic.test.ts',
  'test/event-limits.test.ts',
  'test/filter-editor.test.ts',
  'test/flow-diff.test.ts',
  'test/flow-lifecycle.test.ts',
  'test/log.test.ts',
  'test/portable.test.ts',
  'test/postgres-schema.test.ts',
  'test/publish-condition.test.ts',
  'test/recipient-claims.test.ts',
  'test/replay.test.ts',
  'test/run-page.test.ts',
  'test/sandbox-read.test.ts',
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
  'test/smtp-profiles.test.ts',
  'test/smtp-test-connection.test.ts',
  'test/smtp-tls-trust.test.ts',
  'test/step-registry.test.ts',
  'test/template-pool.test.ts',
  'test/templates.test.ts',
  'test/temporal-codec.test.ts',
  'test/unit-list.test.ts',
  'test/user-deletion.test.ts',
  'test/workflow-code.test.ts',
];

// Nothing in this list starts a server that two files would fight over: files run side by side, in forked
// processes (the sending thread and better-sqlite3 do not survive a threads pool's teardown).
export default { ...base, test: { ...base.test, include: UNIT_TESTS, pool: 'forks', fileParallelism: true } };
