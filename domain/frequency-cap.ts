/** The workspace's frequency cap, as an admin sets it (Settings → Frequency cap; server/db/frequency-cap.ts applies it). */
import { z } from 'zod';

export const FrequencyCap = z.object({
  maxEmails: z
    .number({ error: 'maxEmails must be a number' })
    .int('maxEmails must be a whole number')
    .min(1, 'maxEmails must be at least 1')
    .max(1000, 'maxEmails must be at most 1000'),
  periodHours: z
    .number({ error: 'periodHours must be a number' })
    .int('periodHours must be a whole number of hours (24 for a day, 168 for a week)')
    .min(1, 'periodHours must be at least 1')
    .max(24 * 90, 'periodHours must be at most 2160 (90 days)'),
});
export type FrequencyCap = z.infer<typeof FrequencyCap>;

/** "day", "week" or "N hours". */
export const periodName = (hours: number) => (hours === 24 ? 'day' : hours === 168 ? 'week' : `${hours} hours`);
