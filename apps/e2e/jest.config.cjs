/**
 * The scenario tests start whole platforms (processes, a nats-server) once per mode and play
 * several scenarios against each. Timeouts are set in the test files (jest.setTimeout and per
 * hook): testTimeout is a global option that a project's config cannot set in a multi-project run.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'e2e',
  rootDir: __dirname,
};
