/**
 * The real-node suites (`npm run test:node` = scripts/node/run.sh, which starts the node inside a network
 * namespace of its own and passes its address in NODE_* variables). `npm test` never runs them: their files
 * are *.node.ts. One test file at a time: the node has two cores, and real pods start, probe and stop.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/node'],
  testMatch: ['**/*.node.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
  // Each test sets its own deadlines (pods start, MySQL clones); this is the backstop.
  testTimeout: 900000,
  maxWorkers: 1,
};
