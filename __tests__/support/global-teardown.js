const { rmSync } = require("node:fs");

module.exports = async () => {
  const root = process.env.MESSAGE_RECORDER_TEST_TMPDIR;
  if (root) rmSync(root, { recursive: true, force: true });
};
