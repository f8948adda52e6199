/**
 * The scenario tests start whole platforms (processes, a nats-server) once per mode and play
 * several scenarios against each: minutes, not seconds, on a busy machine.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'e2e',
  rootDir: __dirname,
  testTimeout: 120000,
};
