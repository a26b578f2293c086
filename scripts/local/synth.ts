import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildRecorderArchive, PROJECT_ROOT } from "../../lambdas/build";
import { defineStacks, pipelineStackName } from "../../stacks/app";
import { loadConfig } from "../../stacks/config";

/**
 * Synthesizes the app as `cdktf synth` would (cdktf.json's context, RECORDER_* variables) into a temporary
 * folder and returns the first environment's pipeline stack folder. For the scripts that read the synthesized
 * output rather than the sources.
 */
export function synthesizeFirstEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "recorder-synth-"));
  const context = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8")) as { context?: { recorder?: unknown } }).context?.recorder;
  const config = loadConfig({ context, env });
  const app = new App({ outdir });
  defineStacks(app, config, buildRecorderArchive({ reuseUnchanged: true }));
  app.synth();
  return path.join(outdir, "stacks", pipelineStackName(config.environments[0].environment));
}
