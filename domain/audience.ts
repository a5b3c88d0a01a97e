/** Who a run is for: everyone, or an explicit set of contacts of any size. */
import { z } from 'zod';

export const Audience = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('all') }),
    z.object({
      kind: z.literal('contacts'),
      contactIds: z
        .array(z.string().min(1, 'a contact id must not be empty').max(64), { error: 'contactIds must be a list of contact ids' })
        .min(1, 'choose at least one contact')
        .max(1_000_000, 'a run may name at most 1,000,000 contacts; use "all" for everyone'),
    }),
  ],
  { error: 'audience must be {"kind":"all"} or {"kind":"contacts","contactIds":[...]}' },
);
export type Audience = z.infer<typeof Audience>;
