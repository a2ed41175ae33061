/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages/guard/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking runs once in `npm test` (tsc -p tsconfig.dev.json); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/jest/tmpdir-setup.js',
  globalTeardown: '<rootDir>/test/jest/tmpdir-teardown.js',
};
