import { readFileSync } from "node:fs";
import { at, JsonObject } from "../json-value";
import { OptionSpec, UsageError } from "../cli/args";

/** The options that name a deployment's outputs, as every operator script declares them. */
export const OUTPUTS_OPTIONS: { readonly outputs: OptionSpec; readonly stack: OptionSpec } = {
  outputs: {
    value: "FILE",
    description:
      "the stack's outputs as JSON: `terraform output -json > outputs.json`, or `npm run output -- <stack> --outputs-file outputs.json`",
    example: "outputs.json",
  },
  stack: { value: "NAME", description: "the stack to read when the file holds several", default: "the only pipeline stack in the file" },
};

/** --outputs for a script that reads nothing else. */
export const REQUIRED_OUTPUTS_OPTION: OptionSpec = {
  ...OUTPUTS_OPTIONS.outputs,
  required: true,
  whenMissing: "npm run output -- <stack> --outputs-file outputs.json, or terraform output -json > outputs.json",
};

/** The outputs of a pipeline stack, from `terraform output -json` or from cdktf's --outputs-file. */
export function readOutputs(file: string, stack?: string): Record<string, string> {
  let parsed: JsonObject;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as JsonObject;
  } catch (error) {
    throw new UsageError(`--outputs ${file}: cannot read it as JSON (${(error as Error).message})`);
  }
  if (typeof parsed.state_machine_arn === "object") {
    return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, String((output as { value: unknown }).value)]));
  }
  const stacks = Object.keys(parsed).filter((name) => typeof at(parsed, name, "state_machine_arn") === "string");
  const chosen = stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!chosen || !stacks.includes(chosen)) {
    throw new UsageError(
      `--outputs ${file}: ${stack ? `no stack ${stack}` : "name the stack with --stack"}; stacks with pipeline outputs: ${stacks.join(", ") || "none"}`,
    );
  }
  return parsed[chosen] as Record<string, string>;
}

/** Every named output, or a UsageError naming those the file lacks (an environment deployed by an older version). */
export function requireOutputs(outputs: Record<string, string>, file: string, names: readonly string[]): void {
  const absent = names.filter((name) => !outputs[name]);
  if (absent.length > 0)
    throw new UsageError(`--outputs ${file}: missing ${absent.join(", ")}; redeploy with this version to get every output`);
}

/** The deployment's region, read from its state machine's ARN, unless the environment names one. */
export function deploymentRegion(stateMachineArn: string): string {
  const fromEnvironment = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (fromEnvironment) return fromEnvironment;
  const region = stateMachineArn.split(":")[3];
  if (!region)
    throw new UsageError(
      `--state-machine-arn: ${JSON.stringify(stateMachineArn)} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
    );
  return region;
}
