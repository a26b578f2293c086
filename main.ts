import { App } from "cdktf";
import { readCdktfJson, warnOnce } from "./scripts/project-config";
import { defineStacks } from "./stacks/app";
import { ConfigError, loadConfig } from "./stacks/config";

function main(): void {
  const app = new App();
  // Under `cdktf synth` the CLI hands cdktf.json's context to the app; run directly (node --import tsx main.ts)
  // it does not, so the file is read here: the same configuration either way.
  const context: unknown = app.node.tryGetContext("recorder") ?? readCdktfJson().context?.recorder;
  defineStacks(app, loadConfig({ context, env: process.env, warn: (line) => warnOnce(`cdktf.json: ${line}`) }));
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
