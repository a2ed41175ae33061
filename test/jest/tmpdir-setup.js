// cdk8s's Testing.app() makes a new directory under os.tmpdir() for every app and never removes it
// (thousands per run). Point TMPDIR at one directory for the run; the teardown removes it.
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-jest.'));
  process.env.CDK8S_STATEFUL_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
