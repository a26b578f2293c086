import { App } from "cdktf";
import { buildRecorderArchive } from "./lambdas/build";
import { defineStacks } from "./stacks/app";
import { ConfigError, loadConfig } from "./stacks/config";

function main(): void {
  const app = new App();
  const config = loadConfig({ context: app.node.tryGetContext("recorder"), env: process.env });
  defineStacks(app, config, buildRecorderArchive({ reuseUnchanged: true }));
  app.synth();
}

try {
  main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One line that names the setting, and no stack trace: the trace would only point at this file.
  // Settings read from cdktf.json's context are named by their path in it (context.recorder...); say which file.
  process.stderr.write(`Invalid configuration: ${error.message.startsWith("context.") ? "cdktf.json: " : ""}${error.message}\n`);
  process.exitCode = 1;
}
