/** `npm run screenshots`: retakes the README's screenshots from the running product (not part of `npm test`). */
import base from '../../vitest.config';

export default { ...base, test: { ...base.test, include: ['test/e2e/readme-screenshots.ts'] } };
