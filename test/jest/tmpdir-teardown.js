// Removes the run's temporary directory (see tmpdir-setup.js).
const fs = require('fs');

module.exports = async () => {
  const dir = process.env.CDK8S_STATEFUL_JEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
