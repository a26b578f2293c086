import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { UsageError } from "../ops/args";

/** Reading a synthesized stack (cdk.tf.json) by resource type, for the scripts that work from the synth output. */
export type Resource = Record<string, any>;

export interface StackJson {
  readonly resource: Record<string, Record<string, Resource>>;
}

/** The one resource of a type; refuses a stack with none or several. */
export function onlyResource(stack: StackJson, type: string): Resource {
  const found = Object.values(stack.resource[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type} in the stack, found ${found.length}`);
  return found[0];
}

/**
 * The cdk.tf.json of a synthesized pipeline stack folder (as given with --stack-dir); a folder that holds none, or
 * holds another stack (the state bucket's), is a UsageError naming the folder and what is expected.
 */
export function readPipelineStack(stackDir: string): StackJson {
  const expected = `expected a synthesized pipeline stack folder such as cdktf.out/stacks/message-recorder-dev`;
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
