// npm run test:fast: the edit-test loop. Everything but the tiers that start real tools or whole pipelines:
// the Terraform tier (terraform init/plan), the offline pipeline and its scenarios (workflow, faults, soak,
// redrive, the local and ops CLIs, the recorder against dynalite), and the app's two synths to disk. Those
// run in `npm test`, which also type-checks.
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: [
    "/node_modules/",
    "/__tests__/terraform[^/]*\\.test\\.ts$",
    "/__tests__/(workflow-scenarios|soak|redrive|local-cli|ops-cli|recorder-integration|app)\\.test\\.ts$",
  ],
};
