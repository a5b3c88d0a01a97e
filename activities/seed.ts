import { sampleFlow } from '../workflows/flow/sample';
import type { Config } from './config';
import { saveFlowDraft, type Db } from './db';

export const SANDBOX_PROFILE_ID = 'sandbox';
export const SAMPLE_FLOW_ID = 'welcome';

/**
 * Embedded defaults: the Sandbox SMTP profile (kept pointing at the configured sandbox server),
 * and on an empty install the sample flow and three contacts to try it on.
 */
export async function seed(db: Db, config: Config): Promise<void> {
  const at = new Date().toISOString();
  await db
    .insertInto('smtp_profiles')
    .values({
      id: SANDBOX_PROFILE_ID,
      name: 'Sandbox',
      description: 'The bundled SMTP server: keeps every message and shows it under Sandbox mailbox. Nothing leaves this machine.',
      host: config.SANDBOX_SMTP_HOST,
      port: config.SANDBOX_SMTP_PORT,
      secure: 0,
      require_tls: 0,
      username: '',
      password_enc: '',
      from_email: 'hello@dripline.test',
      from_name: 'Dripline Sandbox',
      reply_to: 'support@dripline.test',
      rate_per_second: null,
      max_connections: 5,
      daily_cap: null,
      is_default: 1,
      owner_id: null,
      shared_with_all: 1,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('id').doUpdateSet({ host: config.SANDBOX_SMTP_HOST, port: config.SANDBOX_SMTP_PORT }))
    .execute();

  const anyFlow = await db.selectFrom('flows').select('id').limit(1).executeTakeFirst();
  if (!anyFlow) await saveFlowDraft(db, { id: SAMPLE_FLOW_ID, name: 'Welcome series', graph: sampleFlow(SANDBOX_PROFILE_ID) });

  const anyContact = await db.selectFrom('contacts').select('id').limit(1).executeTakeFirst();
  if (!anyContact) {
    const people = [
      ['ct_ada', 'ada@example.test', 'Ada Lovelace'],
      ['ct_grace', 'grace@example.test', 'Grace Hopper'],
      ['ct_linus', 'linus@example.test', 'Linus Torvalds'],
    ] as const;
    await db
      .insertInto('contacts')
      .values(people.map(([id, email, name]) => ({ id, email, name, created_at: at })))
      .execute();
  }
}
