/**
 * The whole suite: every project's Jest config. `npm test` runs this after making sure a NATS
 * server is reachable (tools/ensure-nats.mjs).
 */
/** @type {import('jest').Config} */
module.exports = {
  projects: ['<rootDir>/libs/*/jest.config.cjs', '<rootDir>/apps/*/jest.config.cjs', '<rootDir>/bench/jest.config.cjs'],
};
