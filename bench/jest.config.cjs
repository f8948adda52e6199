/** @type {import('jest').Config} */
module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'bench',
  rootDir: __dirname,
  // Benchmarks live beside their harness, not under src/: only the harness's own specs are tests.
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/out/'],
};
