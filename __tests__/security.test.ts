import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { TRUST_CONDITIONS } from "../stacks/constructs/service-role";
import { synthAppToDisk } from "./support/synth";

/**
 * The rules a security reviewer runs (checkov, trivy, cdk-nag, Prowler; IDs from those tools), implemented as our
 * own checks over every synthesized stack's Terraform JSON. A finding fails the test unless the allow-list below
 * names it with the reason we accept it; an allow-list entry that no longer matches a finding fails too.
 */

type Body = Record<string, any>;
interface Stack {
  readonly name: string;
  readonly resource: Record<string, Record<string, Body>>;
}
interface Finding {
  readonly rule: string;
  readonly stack: string;
  readonly address: string;
  readonly body: Body;
}
interface Rule {
  /** Tool IDs of the rule. */
  readonly id: string;
  readonly description: string;
  /** The addresses (type.name) of the resources that break the rule. */
  readonly check: (stack: Stack) => Array<[address: string, body: Body]>;
  /** Needs the customer-managed key: `aws-managed` is expected to break it. */
  readonly needsKey?: boolean;
}

const of = (stack: Stack, type: string) => Object.entries(stack.resource[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body] as [string, Body]);
const refersTo = (value: unknown, address: string) => typeof value === "string" && value.startsWith(`\${${address}.`);
const statementsOf = (policy: string): Body[] => JSON.parse(policy).Statement;
const denyWithoutTls = (statements: Body[]) => statements.some((s) => s.Effect === "Deny" && s.Principal === "*" && s.Condition?.Bool?.["aws:SecureTransport"] === "false");

const RULES: Rule[] = [
  {
    id: "CKV_AWS_119/AVD-AWS-0025", needsKey: true, description: "DynamoDB table encrypted with a customer-managed KMS key",
    check: (s) => of(s, "aws_dynamodb_table").filter(([, b]) => !(b.server_side_encryption?.enabled === true && b.server_side_encryption?.kms_key_arn)),
  },
  {
    id: "AVD-AWS-0135", needsKey: true, description: "SQS queue encrypted with a customer-managed KMS key, not SQS-managed keys",
    check: (s) => of(s, "aws_sqs_queue").filter(([, b]) => !b.kms_master_key_id || String(b.kms_master_key_id).startsWith("alias/aws/")),
  },
  {
    id: "CKV_AWS_26/AVD-AWS-0095/AwsSolutions-SNS2", needsKey: true, description: "SNS topic encrypted with a customer-managed KMS key",
    check: (s) => of(s, "aws_sns_topic").filter(([, b]) => !b.kms_master_key_id || String(b.kms_master_key_id).startsWith("alias/aws/")),
  },
  {
    id: "CKV_AWS_158/AVD-AWS-0017", needsKey: true, description: "CloudWatch log group encrypted with a KMS key",
    check: (s) => of(s, "aws_cloudwatch_log_group").filter(([, b]) => !b.kms_key_id),
  },
  {
    id: "SFN-CMK", needsKey: true, description: "Step Functions state machine (logging ALL with execution data) encrypted with a customer-managed key",
    check: (s) => of(s, "aws_sfn_state_machine").filter(([, b]) => !(b.encryption_configuration?.type === "CUSTOMER_MANAGED_KMS_KEY" && b.encryption_configuration?.kms_key_id)),
  },
  {
    id: "CKV_AWS_173", needsKey: true, description: "Lambda environment variables encrypted with a KMS key",
    check: (s) => of(s, "aws_lambda_function").filter(([, b]) => b.environment && !b.kms_key_arn),
  },
  {
    id: "CKV_AWS_145/AVD-AWS-0132", description: "S3 bucket encrypted with KMS by default",
    check: (s) => of(s, "aws_s3_bucket").filter(([address]) => !of(s, "aws_s3_bucket_server_side_encryption_configuration").some(([, c]) =>
      refersTo(c.bucket, address) && c.rule?.some((r: Body) => r.apply_server_side_encryption_by_default?.sse_algorithm === "aws:kms" && r.apply_server_side_encryption_by_default?.kms_master_key_id))),
  },
  {
    id: "CKV_AWS_7", description: "KMS key rotation enabled",
    check: (s) => of(s, "aws_kms_key").filter(([, b]) => b.enable_key_rotation !== true),
  },
  {
    id: "iam_role_cross_service_confused_deputy_prevention",
    description: "A role a service assumes carries the confused-deputy conditions that service documents (TRUST_CONDITIONS), and no others",
    check: (s) => of(s, "aws_iam_role").filter(([, b]) => statementsOf(b.assume_role_policy).some((st) => {
      const documented = TRUST_CONDITIONS[st.Principal?.Service as string];
      if (st.Effect !== "Allow" || !st.Principal?.Service) return false;
      const keys = Object.values((st.Condition ?? {}) as Record<string, Body>).flatMap((operator) => Object.keys(operator));
      const expected = [...(documented?.sourceAccount ? ["aws:SourceAccount"] : [])];
      return !expected.every((key) => keys.includes(key)) || keys.some((key) => key === "aws:SourceArn" ? !documented?.sourceArn : !expected.includes(key));
    })),
  },
  {
    id: "AwsSolutions-SQS4", description: "SQS queue policy denies requests without TLS",
    check: (s) => of(s, "aws_sqs_queue").filter(([address]) => !of(s, "aws_sqs_queue_policy").some(([, p]) => refersTo(p.queue_url, address) && denyWithoutTls(statementsOf(p.policy)))),
  },
  {
    id: "AwsSolutions-SNS3", description: "SNS topic policy denies publishing without TLS",
    check: (s) => of(s, "aws_sns_topic").filter(([address]) => !of(s, "aws_sns_topic_policy").some(([, p]) => refersTo(p.arn, address) && denyWithoutTls(statementsOf(p.policy)))),
  },
  {
    id: "AwsSolutions-S1/S10", description: "S3 bucket policy denies requests without TLS",
    check: (s) => of(s, "aws_s3_bucket").filter(([address]) => !of(s, "aws_s3_bucket_policy").some(([, p]) => refersTo(p.bucket, address) && denyWithoutTls(statementsOf(p.policy)))),
  },
  // The rules below fail by decision; the allow-list says why.
  { id: "CKV_AWS_117", description: "Lambda function runs in a VPC", check: (s) => of(s, "aws_lambda_function").filter(([, b]) => !b.vpc_config) },
  { id: "CKV_AWS_272", description: "Lambda function validates code signing", check: (s) => of(s, "aws_lambda_function").filter(([, b]) => !b.code_signing_config_arn) },
  { id: "CKV_AWS_115", description: "Lambda function has reserved concurrency", check: (s) => of(s, "aws_lambda_function").filter(([, b]) => b.reserved_concurrent_executions === undefined) },
  { id: "CKV_AWS_338", description: "CloudWatch log group retains logs for at least a year", check: (s) => of(s, "aws_cloudwatch_log_group").filter(([, b]) => b.retention_in_days !== 0 && b.retention_in_days < 365) },
  {
    id: "CKV_AWS_18/AVD-AWS-0089", description: "S3 bucket has access logging",
    check: (s) => of(s, "aws_s3_bucket").filter(([address]) => !of(s, "aws_s3_bucket_logging").some(([, l]) => refersTo(l.bucket, address))),
  },
];

interface Allowed {
  readonly rule: string;
  readonly matches: (finding: Finding) => boolean;
  readonly reason: string;
}

/** What we decide not to do, and why (README "Security" repeats it). */
const ALLOW_LIST: Allowed[] = [
  {
    rule: "CKV_AWS_117",
    matches: (f) => f.body.function_name === "recorder-dev",
    reason: "The recorder talks only to AWS APIs (DynamoDB, Step Functions) over TLS with SigV4 and holds no network listener; a VPC would add NAT or interface endpoints (cost, cold starts) and protect no data path.",
  },
  {
    rule: "CKV_AWS_272",
    matches: (f) => f.body.function_name === "recorder-dev",
    reason: "The archive is built reproducibly from reviewed source and its sha256 is pinned in source_code_hash, so Terraform deploys exactly the reviewed bytes; code signing would need an AWS Signer profile and a signing step outside Terraform.",
  },
  {
    rule: "CKV_AWS_115",
    matches: (f) => f.body.function_name === "recorder-dev",
    reason: "Concurrency is bounded upstream (one invocation per execution, Step Functions retries throttles) and watched by the recorder-throttles alarm; reserving it would take capacity from the account and throttle bursts that today succeed.",
  },
  {
    rule: "CKV_AWS_338",
    matches: (f) => f.address.startsWith("aws_cloudwatch_log_group."),
    reason: "Retention is the logRetentionInDays setting (default 7): the state machine logs every message with execution data, so a year of logs would be a year of extra copies of the data; the table is the record, and CloudTrail keeps the audit trail.",
  },
  {
    rule: "CKV_AWS_18/AVD-AWS-0089",
    matches: (f) => f.stack === "message-recorder-state",
    reason: "Access logging of the state bucket needs a second bucket (itself unlogged) for a bucket only Terraform touches; CloudTrail S3 data events are the audit of state access where one is required.",
  },
];

function synthesizedStacks(sources: Parameters<typeof synthAppToDisk>[0]): Stack[] {
  const stacksDir = path.join(synthAppToDisk(sources), "stacks");
  return readdirSync(stacksDir).map((name) => ({ name, resource: JSON.parse(readFileSync(path.join(stacksDir, name, "cdk.tf.json"), "utf8")).resource }));
}

function findingsOf(stacks: Stack[]): Finding[] {
  return stacks.flatMap((stack) => RULES.flatMap((rule) => rule.check(stack).map(([address, body]) => ({ rule: rule.id, stack: stack.name, address, body }))));
}

const notAllowed = (findings: Finding[]) => findings.filter((f) => !ALLOW_LIST.some((a) => a.rule === f.rule && a.matches(f)));
const describeFinding = (f: Finding) => `${f.rule} ${f.stack} ${f.address}`;

describe("security rules over every synthesized stack", () => {
  const stacks = synthesizedStacks({});
  const findings = findingsOf(stacks);

  test("the app synthesizes the pipeline stack and the state bucket stack", () => {
    expect(stacks.map((s) => s.name).sort()).toEqual(["message-recorder-dev", "message-recorder-state"]);
  });

  test("every rule passes on every stack, except what the allow-list accepts", () => {
    expect(notAllowed(findings).map(describeFinding)).toEqual([]);
  });

  test("every allow-list entry still matches a finding (no stale exceptions)", () => {
    const unused = ALLOW_LIST.filter((a) => !findings.some((f) => f.rule === a.rule && a.matches(f)));
    expect(unused.map((a) => a.rule)).toEqual([]);
  });

  test("the allow-list holds only the decisions the issue names, each with a reason", () => {
    expect(ALLOW_LIST.map((a) => a.rule).sort()).toEqual(["CKV_AWS_115", "CKV_AWS_117", "CKV_AWS_18/AVD-AWS-0089", "CKV_AWS_272", "CKV_AWS_338"]);
    for (const entry of ALLOW_LIST) expect(entry.reason.length).toBeGreaterThan(40);
    // No data-protection rule is waived.
    const keyRules = RULES.filter((r) => r.needsKey).map((r) => r.id);
    expect(ALLOW_LIST.filter((a) => keyRules.includes(a.rule)).map((a) => a.rule)).toEqual([]);
  });

  test("every role, queue, topic, bucket and key of the pipeline is looked at by some rule", () => {
    const checkedTypes = ["aws_iam_role", "aws_sqs_queue", "aws_sns_topic", "aws_dynamodb_table", "aws_cloudwatch_log_group", "aws_sfn_state_machine", "aws_lambda_function", "aws_kms_key"];
    const pipeline = stacks.find((s) => s.name === "message-recorder-dev")!;
    for (const type of checkedTypes) expect(Object.keys(pipeline.resource[type] ?? {}).length).toBeGreaterThan(0);
  });
});

describe("security rules with encryption = aws-managed", () => {
  const findings = findingsOf(synthesizedStacks({ env: { RECORDER_ENCRYPTION: "aws-managed" } }));

  test("only the rules that need the customer-managed key report findings: the checks do detect a missing key", () => {
    const keyRules = RULES.filter((r) => r.needsKey).map((r) => r.id);
    expect([...new Set(notAllowed(findings).map((f) => f.rule))].sort()).toEqual([...keyRules].sort());
  });

  test("the confused-deputy guards and the TLS denies do not depend on the key", () => {
    const independent = ["iam_role_cross_service_confused_deputy_prevention", "AwsSolutions-SQS4", "AwsSolutions-SNS3", "AwsSolutions-S1/S10", "CKV_AWS_145/AVD-AWS-0132", "CKV_AWS_7"];
    expect(findings.filter((f) => independent.includes(f.rule)).map(describeFinding)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  test("flag an unconditional service trust, a queue and a topic without a TLS deny, an unrotated key and an SSE-S3 bucket", () => {
    const trust = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const allowOnly = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "*" }] });
    const stack: Stack = {
      name: "crafted",
      resource: {
        aws_iam_role: { r: { assume_role_policy: trust } },
        aws_sqs_queue: { q: { kms_master_key_id: "k" } },
        aws_sqs_queue_policy: { p: { queue_url: "${aws_sqs_queue.q.url}", policy: allowOnly } },
        aws_sns_topic: { t: { kms_master_key_id: "alias/aws/sns" } },
        aws_kms_key: { k: { enable_key_rotation: false } },
        aws_s3_bucket: { b: {} },
        aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: "${aws_s3_bucket.b.id}", rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] } },
      },
    };
    const rules = new Set(findingsOf([stack]).map((f) => f.rule));
    for (const rule of ["iam_role_cross_service_confused_deputy_prevention", "AwsSolutions-SQS4", "AwsSolutions-SNS3", "CKV_AWS_26/AVD-AWS-0095/AwsSolutions-SNS2", "CKV_AWS_7", "CKV_AWS_145/AVD-AWS-0132", "AwsSolutions-S1/S10"]) {
      expect(rules).toContain(rule);
    }
  });
});
