/**
 * The control-plane suite (`npm run test:cluster` = scripts/cluster/run.sh, which starts the cluster and
 * passes its address in CLUSTER_* variables). `npm test` never runs it: its files are *.cluster.ts.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.cluster.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  // The tests wait for controllers: each sets its own deadlines, this is the backstop.
  testTimeout: 120000,
  // Two workers: the control plane shares the two cores, and the tests mostly wait.
  maxWorkers: 2,
};
