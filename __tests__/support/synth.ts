import { App, Testing } from "cdktf";
import { buildRecorderArchive } from "../../stacks/constructs/bundling/build";
import { defineStacks } from "../../stacks/app";
import { ConfigSources, loadConfig } from "../../stacks/config";
import { LambdaArchive } from "../../stacks/constructs/recorder-function";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { temporaryDirectory } from "../../scripts/temp-dir";
import { onlyResource as onlyStackResource } from "../../scripts/synthesized/stack-json";
import { pipelineStackName } from "../../stacks/names";

/** The parts of a synthesized cdk.tf.json that tests read. */
export interface TerraformJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
  readonly provider: Record<string, Array<Record<string, unknown>>>;
  readonly terraform: Record<string, unknown> & { backend?: Record<string, Record<string, unknown>>; cloud?: Record<string, unknown> };
}

let archive: LambdaArchive | undefined;

/** The real recorder archive, built once per test file into a temporary folder. */
export function testArchive(): LambdaArchive {
  // The build's own cache (.build/recorder, reused while its inputs are unchanged): one bundle for every test file
  // and run instead of one per file. The archive tests build fresh ones of their own.
  archive ??= buildRecorderArchive({ reuseUnchanged: true });
  return archive;
}

/** Synthesizes the pipeline stack of one environment in memory and returns its Terraform JSON. */
export function synthPipeline(sources: ConfigSources = {}, environment?: string): TerraformJson {
  const config = loadConfig(sources);
  const env = environment ? config.environments.find((e) => e.environment === environment) : config.environments[0];
  if (!env) throw new Error(`no environment ${environment} in the configuration`);
  const app = Testing.app();
  const stack = new PipelineStack(app, pipelineStackName(env.environment), { config: env, recorderArchive: testArchive() });
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** Synthesizes the whole app to a folder, as `cdktf synth` does, and returns the output folder. */
export function synthAppToDisk(sources: ConfigSources = {}, outdir = temporaryDirectory("cdktf-out")): string {
  const app = new App({ outdir, skipValidation: false });
  defineStacks(app, loadConfig(sources), testArchive());
  app.synth();
  return outdir;
}

/** All resources of one type, by their Terraform name. */
export function resourcesOf(tf: TerraformJson, type: string): Record<string, Record<string, unknown>> {
  return tf.resource[type] ?? {};
}

/** The single resource of a type (the scripts' own reader, which fails when there is not exactly one), with its name. */
export function onlyResource(tf: TerraformJson, type: string): { name: string; body: Record<string, any> } {
  const body = onlyStackResource(tf, type);
  return { name: Object.keys(resourcesOf(tf, type))[0], body };
}

/** `${type.name}` reference text as cdktf writes it. */
export function ref(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** The resource of a type whose construct path starts with `pathPrefix` (e.g. "ingress_rule"); exactly one. */
export function resourceAt(tf: TerraformJson, type: string, pathPrefix: string): { name: string; body: Record<string, any> } {
  const entries = Object.entries(resourcesOf(tf, type)).filter(([name]) => name.startsWith(`${pathPrefix}_`));
  if (entries.length !== 1) throw new Error(`expected one ${type} at ${pathPrefix}, found ${entries.length}`);
  return { name: entries[0][0], body: entries[0][1] };
}
