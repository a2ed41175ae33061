/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages/guard/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking runs once in `npm test` (tsc -p tsconfig.dev.json); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  testTimeout: 30000,
  // Jest's default leaves one core to its parent, which only waits: on 2 cores that was one worker,
  // and the pod-script suites, which mostly wait for bash, ran one after another.
  maxWorkers: '100%',
  globalSetup: '<rootDir>/test/jest/tmpdir-setup.js',
  globalTeardown: '<rootDir>/test/jest/tmpdir-teardown.js',
};
