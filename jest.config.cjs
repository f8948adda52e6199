/**
 * The whole suite: every project's Jest config. `npm test` runs this after making sure a NATS
 * server is reachable (tools/ensure-nats.mjs).
 */
/** @type {import('jest').Config} */
module.exports = {
  // A global option: Jest ignores `testTimeout` inside project configs when it runs several.
  testTimeout: 30000,
  projects: ['<rootDir>/libs/*/jest.config.cjs', '<rootDir>/apps/*/jest.config.cjs', '<rootDir>/bench/jest.config.cjs'],
};
