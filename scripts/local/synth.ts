import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { buildRecorderArchive } from "../../lambdas/build";
import { defineStacks, pipelineStackName } from "../../stacks/app";
import { loadProjectConfig } from "../project-config";
import { UsageError } from "../ops/args";
import { temporaryDirectory } from "../temp-dir";
import { StackJson } from "./stack-json";

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

/**
 * The cdk.tf.json of a synthesized pipeline stack folder (as given with --stack-dir); a folder that holds none, or
 * holds another stack (the state bucket's), is a UsageError naming the folder and what is expected.
 */
export function readPipelineStack(stackDir: string): StackJson {
  const expected = `expected a synthesized pipeline stack folder such as cdktf.out/stacks/${pipelineStackName("dev")}`;
  const file = path.join(stackDir, "cdk.tf.json");
  if (!existsSync(file)) throw new UsageError(`--stack-dir: ${stackDir} holds no cdk.tf.json; ${expected}`);
  let stack: StackJson;
  try {
    stack = JSON.parse(readFileSync(file, "utf8")) as StackJson;
  } catch (error) {
    throw new UsageError(`--stack-dir: ${file} is not valid JSON (${(error as Error).message}); ${expected}`);
  }
  if (Object.keys(stack.resource?.aws_sfn_state_machine ?? {}).length === 0) {
    throw new UsageError(`--stack-dir: ${stackDir} is not a pipeline stack (its cdk.tf.json has no state machine); ${expected}`);
  }
  return stack;
}
