import type { Metadata } from 'next';
import { getFrequencyCap } from '@server/db/frequency-cap';
import { requireAdminPage } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { FrequencyCapForm } from '@/app/settings/frequency-cap/frequency-cap-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Frequency cap' };

export default async function FrequencyCapPage() {
  await requireAdminPage();
  const cap = await getFrequencyCap(await getDb());
  return (
    <section>
      <p className="crumbs">Settings / Frequency cap</p>
      <div className="page-head">
        <h1>Frequency cap</h1>
      </div>
      <p className="muted">
        At most this many marketing emails per contact in the period, across every flow, counted from what was sent. One-off messages and test emails
        are not counted and never capped. Each Send step says what happens to an email over the cap: skipped, or sent when the period allows. Every
        capped email shows in the delivery log as frequency_capped.
      </p>
      <FrequencyCapForm cap={cap ?? null} />
    </section>
  );
}
