/**
 * The Temporal Web UI's guard (scripts/temporal-ui-guard.ts) as `npm start` runs it, on TEMPORAL_UI_URL's port:
 * `tsx scripts/temporal-ui.ts --listen <host> --upstream <the dev server's UI, e.g. http://127.0.0.1:9233> --app <the web app, e.g. http://127.0.0.1:3000>`
 */
import { parseArgs } from 'node:util';
import { readConfig } from '../server/config';
import { createGuard, sessionLookup } from './temporal-ui-guard';

const { values } = parseArgs({ options: { listen: { type: 'string' }, upstream: { type: 'string' }, app: { type: 'string' } } });
if (!values.listen || !values.upstream || !values.app)
  throw new Error('usage: tsx scripts/temporal-ui.ts --listen <host> --upstream <the UI URL> --app <the web app URL>');
const config = readConfig();
const server = createGuard({
  upstream: values.upstream,
  whoIs: sessionLookup(values.app),
  publicUrl: config.DRIPLINE_PUBLIC_URL,
  uiUrl: config.TEMPORAL_UI_URL,
});
const port = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);
server.listen(port, values.listen, () => console.log(`admins only, read-only: ${values.listen}:${port} in front of ${values.upstream}`));
// Open event streams would hold a graceful close: nothing here outlives a request.
process.on('SIGTERM', () => process.exit(0));
