// One temporary folder per test run, removed by global-teardown.js: temporaryDirectory() (scripts/temp-dir.ts)
// puts the tests' synths, unpacked archives and Terraform copies under it, in the workers and in the processes
// the tests start, which inherit the variable.
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");

module.exports = async () => {
  const root = mkdtempSync(path.join(tmpdir(), "recorder-tests-"));
  process.env.MESSAGE_RECORDER_TEST_TMPDIR = root;
};
