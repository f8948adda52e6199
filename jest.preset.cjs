/**
 * Shared Jest settings for every project: TypeScript through SWC (type-checking is a separate
 * `typecheck` target), workspace packages resolved to their sources, ESM-only dependencies
 * (jose) transformed to CommonJS.
 */
const path = require('node:path');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@continuum/source', 'node', 'require', 'default'],
  },
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 30000,
  setupFiles: [path.join(__dirname, 'jest.setup.cjs')],
};
