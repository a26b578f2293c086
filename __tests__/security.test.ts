import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { TRUST_CONDITIONS } from "../stacks/constructs/service-role";
import { synthAppToDisk } from "./support/synth";

/**
 * Only the security rules checkov has no rule for (or whose checkov rule misses our case), as our own checks over
 * every synthesized stack's Terraform JSON: the customer-managed key of the queues (checkov's CKV_AWS_27 and
 * CKV2_AWS_73 pass SSE-SQS) and of the state machine (no checkov rule), the Lambda environment's key (checkov's
 * CKV_AWS_173 passes a planned kms_key_arn of null), the confused-deputy conditions of every service role's trust
 * policy, and the TLS-only denies of the queues, the topic and the state bucket. Every finding fails the test.
 * What checkov does check (the table's, topic's, log groups' and bucket's keys, key rotation) and the decisions
 * not to follow a rule (Lambda in a VPC, code signing, log retention, access logging...) are left to real checkov
 * over the plans: checkov.test.ts, with .checkov.yaml's skip list and its reasons. The key policy statements and
 * trust conditions are pinned in encryption.test.ts and terraform.test.ts.
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

const of = (stack: Stack, type: string) =>
  Object.entries(stack.resource[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body] as [string, Body]);
const refersTo = (value: unknown, address: string) => typeof value === "string" && value.startsWith(`\${${address}.`);
const statementsOf = (policy: string): Body[] => JSON.parse(policy).Statement;
const denyWithoutTls = (statements: Body[]) =>
  statements.some((s) => s.Effect === "Deny" && s.Principal === "*" && s.Condition?.Bool?.["aws:SecureTransport"] === "false");

const RULES: Rule[] = [
  {
    id: "AVD-AWS-0135",
    needsKey: true,
    description: "SQS queue encrypted with a customer-managed KMS key, not SQS-managed keys (checkov passes SSE-SQS)",
    check: (s) => of(s, "aws_sqs_queue").filter(([, b]) => !b.kms_master_key_id || String(b.kms_master_key_id).startsWith("alias/aws/")),
  },
  {
    id: "SFN-CMK",
    needsKey: true,
    description: "Step Functions state machine (logging ALL with execution data) encrypted with a customer-managed key (no checkov rule)",
    check: (s) =>
      of(s, "aws_sfn_state_machine").filter(
        ([, b]) => !(b.encryption_configuration?.type === "CUSTOMER_MANAGED_KMS_KEY" && b.encryption_configuration?.kms_key_id),
      ),
  },
  {
    id: "CKV_AWS_173",
    needsKey: true,
    description: "Lambda environment variables encrypted with a KMS key (checkov's rule passes a planned null kms_key_arn)",
    check: (s) => of(s, "aws_lambda_function").filter(([, b]) => b.environment && !b.kms_key_arn),
  },
  {
    id: "iam_role_cross_service_confused_deputy_prevention",
    description: "A role a service assumes carries the confused-deputy conditions that service documents (TRUST_CONDITIONS), and no others",
    check: (s) =>
      of(s, "aws_iam_role").filter(([, b]) =>
        statementsOf(b.assume_role_policy).some((st) => {
          const documented = TRUST_CONDITIONS[st.Principal?.Service as string];
          if (st.Effect !== "Allow" || !st.Principal?.Service) return false;
          const keys = Object.values((st.Condition ?? {}) as Record<string, Body>).flatMap((operator) => Object.keys(operator));
          const expected = [...(documented?.sourceAccount ? ["aws:SourceAccount"] : [])];
          return (
            !expected.every((key) => keys.includes(key)) ||
            keys.some((key) => (key === "aws:SourceArn" ? !documented?.sourceArn : !expected.includes(key)))
          );
        }),
      ),
  },
  {
    id: "AwsSolutions-SQS4",
    description: "SQS queue policy denies requests without TLS",
    check: (s) =>
      of(s, "aws_sqs_queue").filter(
        ([address]) =>
          !of(s, "aws_sqs_queue_policy").some(([, p]) => refersTo(p.queue_url, address) && denyWithoutTls(statementsOf(p.policy))),
      ),
  },
  {
    id: "AwsSolutions-SNS3",
    description: "SNS topic policy denies publishing without TLS",
    check: (s) =>
      of(s, "aws_sns_topic").filter(
        ([address]) => !of(s, "aws_sns_topic_policy").some(([, p]) => refersTo(p.arn, address) && denyWithoutTls(statementsOf(p.policy))),
      ),
  },
  {
    id: "AwsSolutions-S1/S10",
    description: "S3 bucket policy denies requests without TLS",
    check: (s) =>
      of(s, "aws_s3_bucket").filter(
        ([address]) =>
          !of(s, "aws_s3_bucket_policy").some(([, p]) => refersTo(p.bucket, address) && denyWithoutTls(statementsOf(p.policy))),
      ),
  },
];

function synthesizedStacks(sources: Parameters<typeof synthAppToDisk>[0]): Stack[] {
  const stacksDir = path.join(synthAppToDisk(sources), "stacks");
  return readdirSync(stacksDir).map((name) => ({
    name,
    resource: JSON.parse(readFileSync(path.join(stacksDir, name, "cdk.tf.json"), "utf8")).resource,
  }));
}

function findingsOf(stacks: Stack[]): Finding[] {
  return stacks.flatMap((stack) =>
    RULES.flatMap((rule) => rule.check(stack).map(([address, body]) => ({ rule: rule.id, stack: stack.name, address, body }))),
  );
}

const describeFinding = (f: Finding) => `${f.rule} ${f.stack} ${f.address}`;

describe("security rules over every synthesized stack", () => {
  const stacks = synthesizedStacks({});
  const findings = findingsOf(stacks);

  test("the app synthesizes the pipeline stack and the state bucket stack", () => {
    expect(stacks.map((s) => s.name).sort()).toEqual(["message-recorder-dev", "message-recorder-state"]);
  });

  test("every rule passes on every stack", () => {
    expect(findings.map(describeFinding)).toEqual([]);
  });

  test("every role, queue, topic, state machine and function of the pipeline is looked at by some rule", () => {
    const checkedTypes = ["aws_iam_role", "aws_sqs_queue", "aws_sns_topic", "aws_sfn_state_machine", "aws_lambda_function"];
    const pipeline = stacks.find((s) => s.name === "message-recorder-dev")!;
    for (const type of checkedTypes) expect(Object.keys(pipeline.resource[type] ?? {}).length).toBeGreaterThan(0);
  });
});

describe("security rules with encryption = aws-managed", () => {
  const findings = findingsOf(synthesizedStacks({ env: { RECORDER_ENCRYPTION: "aws-managed" } }));

  test("only the rules that need the customer-managed key report findings: the checks do detect a missing key", () => {
    const keyRules = RULES.filter((r) => r.needsKey).map((r) => r.id);
    expect([...new Set(findings.map((f) => f.rule))].sort()).toEqual([...keyRules].sort());
  });

  test("the confused-deputy guards and the TLS denies do not depend on the key", () => {
    const independent = [
      "iam_role_cross_service_confused_deputy_prevention",
      "AwsSolutions-SQS4",
      "AwsSolutions-SNS3",
      "AwsSolutions-S1/S10",
    ];
    expect(findings.filter((f) => independent.includes(f.rule)).map(describeFinding)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  test("flag an unconditional service trust, a queue, a topic and a bucket without a TLS deny, and an SQS-managed queue", () => {
    const trust = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const allowOnly = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "*" }],
    });
    const stack: Stack = {
      name: "crafted",
      resource: {
        aws_iam_role: { r: { assume_role_policy: trust } },
        aws_sqs_queue: { q: { kms_master_key_id: "k" }, m: { sqs_managed_sse_enabled: true } },
        aws_sqs_queue_policy: { p: { queue_url: "${aws_sqs_queue.q.url}", policy: allowOnly } },
        aws_sns_topic: { t: { kms_master_key_id: "alias/aws/sns" } },
        aws_s3_bucket: { b: {} },
      },
    };
    const rules = new Set(findingsOf([stack]).map((f) => f.rule));
    for (const rule of [
      "iam_role_cross_service_confused_deputy_prevention",
      "AwsSolutions-SQS4",
      "AwsSolutions-SNS3",
      "AVD-AWS-0135",
      "AwsSolutions-S1/S10",
    ]) {
      expect(rules).toContain(rule);
    }
  });
});
