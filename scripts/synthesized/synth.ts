import * as path from "node:path";
import { App } from "cdktf";
import { buildRecorderArchive } from "../../stacks/constructs/bundling/build";
import { defineStacks, pipelineStackName } from "../../stacks/app";
import { loadProjectConfig } from "../project-config";
import { temporaryDirectory } from "../temp-dir";

/**
 * Synthesizes the app as `cdktf synth` would (cdktf.json's context, RECORDER_* variables) into a temporary
 * folder and returns the first environment's pipeline stack folder. For the scripts that read the synthesized
 * output rather than the sources.
 */
export function synthesizeFirstEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  const outdir = temporaryDirectory("recorder-synth");
  const config = loadProjectConfig(env);
  const app = new App({ outdir });
  defineStacks(app, config, buildRecorderArchive({ reuseUnchanged: true }));
  app.synth();
  return path.join(outdir, "stacks", pipelineStackName(config.environments[0].environment));
}
