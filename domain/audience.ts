/**
 * Who a run is for: everyone subscribed, a static list, a segment (a saved contact filter, evaluated
 * when the run starts), or an explicit set of contacts of any size.
 */
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
    z.object({
      kind: z.literal('list'),
      listId: z.string({ error: 'listId is required' }).min(1, 'listId must not be empty').max(64),
    }),
    z.object({
      kind: z.literal('segment'),
      segmentId: z.string({ error: 'segmentId is required' }).min(1, 'segmentId must not be empty').max(64),
    }),
  ],
  {
    error:
      'audience must be {"kind":"all"}, {"kind":"list","listId":"..."}, {"kind":"segment","segmentId":"..."} or {"kind":"contacts","contactIds":[...]}',
  },
);
export type Audience = z.infer<typeof Audience>;
