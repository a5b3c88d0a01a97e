/** `npm run screenshots`: retakes the README's screenshots from the running product (not part of `npm test`). */
import base from '../../vitest.config';

// One project of its own: the base's projects would each bring their own files (the whole suite).
export default {
  ...base,
  test: { ...base.test, projects: [{ extends: true, test: { name: 'screenshots', include: ['test/e2e/readme-screenshots.ts'] } }] },
};
