/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'store',
  rootDir: __dirname,
  // The lazy MongoDB import in create-store.ts names the file as Node loads it (`.js`): Jest takes the source.
  moduleNameMapper: { '^\\./mongodb/mongodb-store\\.js$': '<rootDir>/src/mongodb/mongodb-store.ts' },
};
