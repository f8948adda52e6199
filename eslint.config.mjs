// ESLint flat config for the whole workspace: type-aware TypeScript rules (floating promises),
// and Nx module boundaries with the tag constraints of DESIGN.md §4.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const depConstraints = [
  // Generated API code depends on nothing of ours.
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  // Runtime libraries: the kit, the store and the event bus.
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
  // Test fixtures may use every library, never an app.
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
  // A service reaches other services only through contracts and events: never another app.
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:testing'] },
  // The all-in-one process composes the services in one process: the one place that
  // imports them (through each service's index.ts).
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:service'] },
  // The CLI talks to a running platform through generated clients only.
  { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
  // Scenario tests start the platform as processes and talk to it through clients.
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:testing'] },
  // Benchmarks drive services through clients; they may start them in process.
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:testing', 'type:service'] },
];

// Tests of a library may use the shared fixtures of libs/testing (the nats-server fixture,
// waitFor, test tenants); the library's own code may not.
const testDepConstraints = depConstraints.map((c) =>
  c.sourceTag === 'type:lib' ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] } : c,
);

/** The module-boundary rule with `constraints`; the rest of its options are the same everywhere. */
function moduleBoundaries(constraints) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: constraints,
      // Service mains import the store and the bus dynamically, after telemetry started (so the
      // instrumentation patches the driver before it loads); elsewhere those libraries are
      // imported statically on purpose. Lazy loading matters to bundles, not to Node services.
      checkDynamicDependenciesExceptions: ['@continuum/*'],
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'libs/contracts/src/gen/**', 'libs/contracts/src/packages/**', '.proto-deps/**', '**/*.cjs', '**/*.mjs'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': moduleBoundaries(depConstraints),
    },
  },
  {
    files: ['libs/*/src/**/*.spec.ts', 'libs/*/src/**/*.test-util.ts', 'libs/*/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(testDepConstraints),
    },
  },
  {
    // In tests and benchmarks a `!` that is wrong throws at once and fails the run, which is what a
    // test wants; production code keeps the rule.
    files: ['**/*.spec.ts', '**/*.test-util.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // domain/ is pure logic: no I/O of any kind.
    files: ['apps/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@continuum/store', '@continuum/events', '@continuum/kit', '@continuum/testing'], message: 'domain/ is pure: no store, bus or runtime.' },
            { group: ['@grpc/*', 'mongodb', '@nats-io/*', 'pino', 'node:fs', 'node:net', 'node:http', 'node:child_process', 'fs', 'net', 'http'], message: 'domain/ is pure: no I/O.' },
            { group: ['../store/*', '../events/*', '../server', '../main'], message: 'domain/ must not reach into I/O layers.' },
          ],
        },
      ],
    },
  },
];
