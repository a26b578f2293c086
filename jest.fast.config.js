// npm run test:fast: the edit-test loop. Everything but the tiers that start real tools or whole pipelines:
// the Terraform tier (terraform init/plan), the offline pipeline and its scenarios (workflow, faults, soak,
// redrive, the local and ops CLIs, the recorder against dynalite and its runtime in fresh processes, the
// example), the app's synths to disk, the README quick-start walk, the wrapper, packaging and model (cost,
// capacity) CLIs run as processes, the type check, and the tiers of tools we did not write (checkov over the plans,
// apply/re-plan/destroy against moto). Those run in `npm test`.
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: [
    "/node_modules/",
    "/__tests__/terraform[^/]*\\.test\\.ts$",
    "/__tests__/(typecheck|verify|reconcile|limits|idempotency|model-clis|express-scenarios|workflow-scenarios|soak|redrive|local-cli|ops-cli|recorder-integration|recorder-runtime|app|local-pipeline|example-two-sources|quick-start|tfc-package|cdktf-wrapper|checkov|moto)\\.test\\.ts$",
  ],
};
