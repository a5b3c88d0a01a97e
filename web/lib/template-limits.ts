import 'server-only';
/**
 * Per-user limits on what renders templates on request: previews (rendered, or sent to the sandbox or
 * to the user's own address: one limit for the three) and publishes (every template of the flow checked,
 * MJML compiled). Each runs in the template threads within its time limits (server/templates.ts); these
 * keep one user from keeping those threads busy for everyone. Kept on globalThis, so every route of
 * this web process counts against the same window; with several web instances, each allows its own share.
 */
import { RateLimit } from '@/lib/rate-limit';

interface TemplateLimits {
  previews: RateLimit;
  publishes: RateLimit;
}

const holder = globalThis as typeof globalThis & { __driplineTemplateLimits?: TemplateLimits };

export function templateLimits(): TemplateLimits {
  holder.__driplineTemplateLimits ??= {
    previews: new RateLimit(30, 60_000, 'Previews'),
    publishes: new RateLimit(10, 60_000, 'Publishing'),
  };
  return holder.__driplineTemplateLimits;
}
