import { Testing } from "cdktf";
import { defineTwoSources } from "../../examples/two-sources/app";
import { loadConfig } from "../../stacks/config";
import { StateBucketStack } from "../../stacks/state-bucket-stack";
import { synthPipeline, testArchive, TerraformJson } from "./synth";

/** One IAM policy document of a synthesized stack: identity, trust or resource policy. */
export interface PolicyDocument {
  /** `<stack> <type>.<name>.<attribute>`, to name it in a failure. */
  readonly where: string;
  readonly kind: "identity" | "trust" | "resource";
  readonly statements: readonly Statement[];
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: unknown;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** Where a synthesized stack keeps policy documents, by resource type and attribute. */
const POLICY_ATTRIBUTES: ReadonlyArray<[type: string, attribute: string, kind: PolicyDocument["kind"]]> = [
  ["aws_iam_role", "assume_role_policy", "trust"],
  ["aws_iam_role_policy", "policy", "identity"],
  ["aws_iam_policy", "policy", "identity"],
  ["aws_kms_key", "policy", "resource"],
  ["aws_sqs_queue_policy", "policy", "resource"],
  ["aws_sns_topic_policy", "policy", "resource"],
  ["aws_s3_bucket_policy", "policy", "resource"],
];

/** Every policy document of a stack. */
export function policiesOf(stackName: string, tf: TerraformJson): PolicyDocument[] {
  const found: PolicyDocument[] = [];
  for (const [type, attribute, kind] of POLICY_ATTRIBUTES) {
    for (const [name, body] of Object.entries(tf.resource[type] ?? {})) {
      const text = body[attribute];
      if (typeof text !== "string") continue;
      const parsed = JSON.parse(text) as { Statement: Statement | Statement[] };
      found.push({ where: `${stackName} ${type}.${name}.${attribute}`, kind, statements: ([] as Statement[]).concat(parsed.Statement) });
    }
  }
  return found;
}

export const asList = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

/**
 * Every stack a user can synthesize, by name: both workflow types under both `encryption` settings, the state
 * bucket stack (both backends of it), and the example composition.
 */
export function everySynthesizedStack(): Record<string, TerraformJson> {
  const variants: Record<string, TerraformJson> = {};
  for (const workflowType of ["standard", "express"]) {
    for (const encryption of ["customer-managed", "aws-managed"]) {
      variants[`pipeline ${workflowType} ${encryption}`] = synthPipeline({ context: { defaults: { workflowType, encryption } } });
    }
  }
  for (const bucketName of [undefined, "message-recorder-tfstate-test"]) {
    const app = Testing.app();
    const stack = new StateBucketStack(app, "message-recorder-state", { region: "us-east-1", ...(bucketName ? { bucketName } : {}) });
    variants[`state bucket${bucketName ? " (configured)" : ""}`] = JSON.parse(Testing.synth(stack)) as TerraformJson;
  }
  const app = Testing.app();
  const example = defineTwoSources(app, loadConfig().environments[0], { recorderArchive: testArchive() });
  variants["example two-sources"] = JSON.parse(Testing.synth(example)) as TerraformJson;
  return variants;
}
