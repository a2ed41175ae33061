/** @type {import('jest').Config} */
// The real-MySQL suite (npm run test:e2e): pods of synthesized ReplicatedMySql manifests run
// against MySQL 9.7 in a chroot. Serial (one cluster at a time on loopback), long timeouts.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  testTimeout: 900000,
  maxWorkers: 1,
};
