import { redirect } from 'next/navigation';
import { requireUser } from '@/lib/auth';

export default async function SettingsPage() {
  await requireUser();
  redirect('/settings/smtp');
}
