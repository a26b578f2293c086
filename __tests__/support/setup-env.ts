import "../../scripts/local/node-compat";
import { skipTokenCreationStacks } from "../../stacks/creation-stacks";

// As the app does (stacks/app.ts): the in-memory synths of the tests skip cdktf's token creation stacks.
skipTokenCreationStacks();

// The SDK warns once per process that its Node.js 20 support ends; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// No version check by Terraform or the cdktf CLI from the tests or what they start: offline it fails with an
// ERROR line and waits for a network timeout. The project sets it itself, so `npm test` needs nothing exported.
process.env.CHECKPOINT_DISABLE = "1";
