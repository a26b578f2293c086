import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { JsonObject } from "../json-value";
import { UsageError } from "../cli/args";

/**
 * Reading a synthesized stack (cdk.tf.json) by resource type, for the scripts that work from the synth output. A
 * resource is its arguments as the JSON holds them, read with at() and narrowed where used.
 */
export type Resource = JsonObject;

export interface StackJson {
  readonly resource: Record<string, Record<string, Resource>>;
}

/** The one resource of a type; refuses a stack with none or several. */
export function onlyResource(stack: StackJson, type: string): Resource {
  const found = Object.values(stack.resource[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type} in the stack, found ${found.length}`);
  return found[0];
}

/** The account every local ARN is in. */
export const LOCAL_ACCOUNT = "000000000000";

/** Reads `<stackDir>/cdk.tf.json`, refusing a folder that holds none. */
export function readStack(stackDir: string): StackJson {
  const file = path.join(stackDir, "cdk.tf.json");
  if (!existsSync(file)) throw new Error(`${stackDir} holds no cdk.tf.json: is it a synthesized stack folder?`);
  return JSON.parse(readFileSync(file, "utf8")) as StackJson;
}

/** How each resource type's ARN is formed from its name attribute, in the local account. */
const ARN_FORMATS: Record<string, { readonly nameField: string; readonly arn: (region: string, name: string) => string }> = {
  aws_lambda_function: { nameField: "function_name", arn: (r, n) => `arn:aws:lambda:${r}:${LOCAL_ACCOUNT}:function:${n}` },
  aws_sfn_state_machine: { nameField: "name", arn: (r, n) => `arn:aws:states:${r}:${LOCAL_ACCOUNT}:stateMachine:${n}` },
  aws_sqs_queue: { nameField: "name", arn: (r, n) => `arn:aws:sqs:${r}:${LOCAL_ACCOUNT}:${n}` },
  aws_cloudwatch_event_rule: { nameField: "name", arn: (r, n) => `arn:aws:events:${r}:${LOCAL_ACCOUNT}:rule/${n}` },
  aws_cloudwatch_event_bus: { nameField: "name", arn: (r, n) => `arn:aws:events:${r}:${LOCAL_ACCOUNT}:event-bus/${n}` },
  aws_dynamodb_table: { nameField: "name", arn: (r, n) => `arn:aws:dynamodb:${r}:${LOCAL_ACCOUNT}:table/${n}` },
  aws_sns_topic: { nameField: "name", arn: (r, n) => `arn:aws:sns:${r}:${LOCAL_ACCOUNT}:${n}` },
  aws_cloudwatch_event_archive: { nameField: "name", arn: (r, n) => `arn:aws:events:${r}:${LOCAL_ACCOUNT}:archive/${n}` },
};

/** Answers a reference the stack alone cannot (a queue's URL needs the local endpoint); undefined: not known. */
export type ExtraAttribute = (type: string, name: string, attribute: string) => string | undefined;

/**
 * Terraform references of a synthesized stack, resolved the way the local run can know them: `arn` of a
 * resource type in ARN_FORMATS (in the local account), any attribute the resource declares with a value that
 * itself resolves, and what `extra` answers. Anything else is refused with the reference named.
 */
export class StackReferences {
  readonly region: string;

  constructor(
    readonly stack: StackJson,
    private readonly extra: ExtraAttribute = () => undefined,
  ) {
    const providers = (stack as unknown as { provider?: { aws?: Array<{ region?: string }> } }).provider?.aws ?? [];
    this.region = providers[0]?.region ?? "us-east-1";
  }

  /** Every resource of a type, by its Terraform name. */
  resources(type: string): Array<[string, Resource]> {
    return Object.entries(this.stack.resource[type] ?? {});
  }

  arn(type: string, name: string): string {
    const format = ARN_FORMATS[type];
    const declared = this.stack.resource[type]?.[name];
    if (!format || !declared) throw new Error(`cannot give ${type}.${name} a local ARN`);
    return format.arn(this.region, this.resolve(String(declared[format.nameField])));
  }

  /** Replaces every `${type.name.attribute}` in the text. */
  resolve(text: string, seen: readonly string[] = []): string {
    return text.replace(/\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (whole, type: string, name: string, attribute: string) => {
      if (seen.includes(whole)) throw new Error(`cannot resolve ${whole} locally: it refers to itself`);
      const known = this.extra(type, name, attribute);
      if (known !== undefined) return known;
      const declared = this.stack.resource[type]?.[name];
      if (attribute === "arn" && declared && ARN_FORMATS[type]) return this.arn(type, name);
      const value = declared?.[attribute];
      if (typeof value === "string") return this.resolve(value, [...seen, whole]);
      throw new Error(`cannot resolve ${whole} locally`);
    });
  }
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
