/**
 * The getting-started checklist's "Dismiss" is remembered per user in this browser: a cookie holding
 * the id of the user who dismissed it (another user signing in here still sees theirs).
 */
export const GETTING_STARTED_DISMISSED_COOKIE = 'dripline_getting_started_dismissed';
