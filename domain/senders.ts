/** Who sends: names shared by the editor, the API, the server and the seed. */

/** The sender a Send node names when each agent's own default profile should be used; resolved when a run starts. */
export const AGENT_DEFAULT = '@agent-default';
export const AGENT_DEFAULT_LABEL = 'Agent’s default';

/** The built-in profile that points at the bundled sandbox SMTP server. */
export const SANDBOX_PROFILE_ID = 'sandbox';
