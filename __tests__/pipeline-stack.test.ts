import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import AdmZip from "adm-zip";
import { Lazy } from "cdktf";
import { temporaryDirectory } from "../scripts/temp-dir";
import { onlyResource, ref, resourceAt, resourcesOf, synthPipeline, testArchive, TerraformJson } from "./support/synth";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string>>;
}

const tf = synthPipeline();

function policyOf(roleResourceName: string): Statement[] {
  const policies = Object.values(resourcesOf(tf, "aws_iam_role_policy"));
  const policy = policies.find((p) => p.role === ref("aws_iam_role", roleResourceName, "id"));
  if (!policy) throw new Error(`no policy for role ${roleResourceName}`);
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

function roleNamed(name: string): string {
  const entry = Object.entries(resourcesOf(tf, "aws_iam_role")).find(([, body]) => body.name === name);
  if (!entry) throw new Error(`no role named ${name}`);
  return entry[0];
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
/** Statements about the KMS key are pinned in encryption.test.ts; these tests look at everything else. */
const withoutKeyUse = (statements: Statement[]) => statements.filter((s) => !list(s.Action).every((a) => a.startsWith("kms:")));
const bus = onlyResource(tf, "aws_cloudwatch_event_bus");
const rule = resourceAt(tf, "aws_cloudwatch_event_rule", "ingress_rule");
const target = resourceAt(tf, "aws_cloudwatch_event_target", "ingress_rule_message-recorder-workflow");
const queue = resourceAt(tf, "aws_sqs_queue", "ingress_dead-letter-queue");
const stateMachine = onlyResource(tf, "aws_sfn_state_machine");
const fn = onlyResource(tf, "aws_lambda_function");
const table = onlyResource(tf, "aws_dynamodb_table");
const stateMachineArn = ref("aws_sfn_state_machine", stateMachine.name, "arn");
const functionArn = ref("aws_lambda_function", fn.name, "arn");

describe("pipeline stack", () => {
  test("matches the snapshot", () => {
    // The archive's hashes change with every edit of the handler; their own tests below pin them.
    const masked = JSON.parse(
      JSON.stringify(tf)
        .replace(/assets\/([^/"]+)\/[0-9A-F]+\//g, "assets/$1/<archive-hash>/")
        .replace(/"source_code_hash":"[^"]+"/g, '"source_code_hash":"<sha256 of archive.zip>"'),
    );
    expect(masked).toMatchSnapshot();
  });

  test("the provider takes the region from config and tags every resource", () => {
    const provider = tf.provider.aws[0];
    expect(provider.region).toBe("us-east-1");
    expect(provider.default_tags).toEqual([{ tags: { project: "message-recorder", environment: "dev", "managed-by": "cdktf" } }]);
  });

  test("the event bus is a custom bus named after the design", () => {
    expect(bus.body.name).toBe("commonbus-dev");
  });

  test("the rule sits on the custom bus and matches on source only", () => {
    expect(rule.body.event_bus_name).toBe(ref("aws_cloudwatch_event_bus", bus.name, "name"));
    expect(JSON.parse(rule.body.event_pattern)).toEqual({ source: ["com.devpost.commonevent"] });
  });

  test("the target starts the state machine on the custom bus with the whole event as input", () => {
    expect(target.body.arn).toBe(stateMachineArn);
    expect(target.body.event_bus_name).toBe(ref("aws_cloudwatch_event_bus", bus.name, "name"));
    expect(target.body.rule).toBe(ref("aws_cloudwatch_event_rule", rule.name, "name"));
    expect(target.body).not.toHaveProperty("input");
    expect(target.body).not.toHaveProperty("input_path");
    expect(target.body).not.toHaveProperty("input_transformer");
  });

  test("the target retries 3 times within a maximum event age and then dead-letters to the queue", () => {
    expect(target.body.retry_policy).toEqual({ maximum_retry_attempts: 3, maximum_event_age_in_seconds: 3600 });
    expect(target.body.dead_letter_config).toEqual({ arn: ref("aws_sqs_queue", queue.name, "arn") });
  });

  test("the target role may only start executions of this state machine", () => {
    const roleName = target.body.role_arn.match(/aws_iam_role\.([^.]+)\.arn/)[1];
    expect(withoutKeyUse(policyOf(roleName))).toEqual([
      { Sid: "StartRecorderWorkflow", Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] },
    ]);
    const trust = JSON.parse(resourcesOf(tf, "aws_iam_role")[roleName].assume_role_policy as string);
    expect(trust.Statement[0].Principal).toEqual({ Service: "events.amazonaws.com" });
  });

  test("the dead-letter queue is encrypted with the environment's key and keeps messages for 14 days", () => {
    expect(queue.body.kms_master_key_id).toBe(ref("aws_kms_key", onlyResource(tf, "aws_kms_key").name, "arn"));
    expect(queue.body.message_retention_seconds).toBe(1209600);
  });

  test("the DLQ policy only admits the three rules it serves: this rule, the capture of failed executions, and the reconciliation rule", () => {
    const policy = resourceAt(tf, "aws_sqs_queue_policy", "ingress_dead-letter-queue_policy");
    expect(policy.body.queue_url).toBe(ref("aws_sqs_queue", queue.name, "url"));
    const statements = (JSON.parse(policy.body.policy).Statement as Statement[]).filter((s) => s.Effect === "Allow");
    const captureRule = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_rule")).find((name) =>
      name.startsWith("failed-executions_rule_"),
    )!;
    expect(statements).toHaveLength(3);
    expect(statements[1]).toMatchObject({
      Sid: "AcceptUndeliveredEventsFromTheRule2",
      Condition: { ArnEquals: { "aws:SourceArn": ref("aws_cloudwatch_event_rule", captureRule, "arn") } },
    });
    expect(statements[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: ref("aws_sqs_queue", queue.name, "arn"),
      Condition: { ArnEquals: { "aws:SourceArn": ref("aws_cloudwatch_event_rule", rule.name, "arn") } },
    });
  });

  test("the state machine is STANDARD and runs the rendered ASL with the recorder's ARN", () => {
    expect(stateMachine.body.type).toBe("STANDARD");
    const definition = JSON.parse(stateMachine.body.definition);
    expect(definition.States["Record Message"].Parameters.FunctionName).toBe(functionArn);
    expect(definition.TimeoutSeconds).toBe(30);
    expect(definition.States["Record Message"].TimeoutSeconds).toBe(7);
    expect(stateMachine.body.definition).not.toMatch(/\$\{(?!aws_lambda_function\.)/);
  });

  test("the state machine logs ALL with execution data to a vended log group, destination ending in :*", () => {
    const logGroups = resourcesOf(tf, "aws_cloudwatch_log_group");
    const [groupName, group] = Object.entries(logGroups).find(([, g]) => String(g.name).startsWith("/aws/vendedlogs/states/"))!;
    expect(group).toMatchObject({ name: "/aws/vendedlogs/states/MessageRecorder-dev", retention_in_days: 7 });
    expect(stateMachine.body.logging_configuration).toEqual({
      level: "ALL",
      include_execution_data: true,
      log_destination: `${ref("aws_cloudwatch_log_group", groupName, "arn")}:*`,
    });
    expect(stateMachine.body.logging_configuration.log_destination).toMatch(/:\*$/);
  });

  test("the state machine is created after its role policy", () => {
    const roleName = stateMachine.body.role_arn.match(/aws_iam_role\.([^.]+)\.arn/)[1];
    const [policyName] = Object.entries(resourcesOf(tf, "aws_iam_role_policy")).find(
      ([, p]) => p.role === ref("aws_iam_role", roleName, "id"),
    )!;
    expect(stateMachine.body.depends_on).toEqual([`aws_iam_role_policy.${policyName}`]);
  });

  test("the state machine role trusts Step Functions and may invoke only the recorder and deliver logs", () => {
    const roleName = roleNamed("MessageRecorder-dev-role");
    const trust = JSON.parse(resourcesOf(tf, "aws_iam_role")[roleName].assume_role_policy as string);
    expect(trust.Statement.map(({ Condition, ...rest }: Statement) => rest)).toEqual([
      { Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const statements = withoutKeyUse(policyOf(roleName));
    expect(statements.find((s) => s.Sid === "InvokeRecorder")).toEqual({
      Sid: "InvokeRecorder",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [functionArn, `${functionArn}:*`],
    });
    expect(list(statements.find((s) => s.Sid === "DeliverExecutionLogs")!.Action)).toEqual(
      expect.arrayContaining([
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ]),
    );
    expect(statements.map((s) => s.Sid).sort()).toEqual(["DeliverExecutionLogs", "InvokeRecorder", "WriteTraces"]);
  });

  test("the recorder runs nodejs22.x on arm64 from the archive asset with the table name set", () => {
    expect(fn.body).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], function_name: "recorder-dev" });
    expect(fn.body.filename).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/archive\.zip$/);
    expect(fn.body.environment.variables.MESSAGES_TABLE_NAME).toBe(ref("aws_dynamodb_table", table.name, "name"));
    expect(fn.body.logging_config).toMatchObject({ log_format: "JSON" });
  });

  test("the recorder's source_code_hash is the sha256 of the archive and its handler is a file in it", () => {
    const zip = readFileSync(testArchive().zipPath);
    expect(fn.body.source_code_hash).toBe(createHash("sha256").update(zip).digest("base64"));
    const [file, exportName] = String(fn.body.handler).split(".");
    const entries = new AdmZip(zip).getEntries().map((e) => e.entryName);
    expect(entries).toContain(`${file}.js`);
    expect(exportName).toBe("handler");
  });

  test("the recorder's log group exists before the function, with retention", () => {
    const [groupName, group] = Object.entries(resourcesOf(tf, "aws_cloudwatch_log_group")).find(
      ([, g]) => g.name === "/aws/lambda/recorder-dev",
    )!;
    expect(group.retention_in_days).toBe(7);
    expect(fn.body.depends_on).toEqual([`aws_cloudwatch_log_group.${groupName}`]);
    expect(fn.body.logging_config.log_group).toBe(ref("aws_cloudwatch_log_group", groupName, "name"));
  });

  test("the recorder role may only put items, answer task tokens, and write its own logs", () => {
    const roleName = roleNamed("recorder-dev-role");
    const statements = withoutKeyUse(policyOf(roleName));
    const [logGroupName] = Object.entries(resourcesOf(tf, "aws_cloudwatch_log_group")).find(
      ([, g]) => g.name === "/aws/lambda/recorder-dev",
    )!;
    expect(statements).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${ref("aws_cloudwatch_log_group", logGroupName, "arn")}:*`],
      },
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: ["*"] },
      { Sid: "PutMessageItems", Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: [ref("aws_dynamodb_table", table.name, "arn")] },
      // SendTaskSuccess/SendTaskFailure take no resource-level permission: "*" is the only documented resource.
      { Sid: "AnswerTaskTokens", Effect: "Allow", Action: ["states:SendTaskFailure", "states:SendTaskSuccess"], Resource: ["*"] },
    ]);
  });

  test("the table is keyed on messageId, on-demand, encrypted, with point-in-time recovery", () => {
    expect(table.body).toMatchObject({
      name: "MessagesTable-dev",
      hash_key: "messageId",
      attribute: [{ name: "messageId", type: "S" }],
      billing_mode: "PAY_PER_REQUEST",
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
  });

  test("the table is protected from deletion in AWS and in Terraform by default", () => {
    expect(table.body.deletion_protection_enabled).toBe(true);
    expect(table.body.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("tableProtection false turns off both protections, for throwaway environments", () => {
    const throwaway = onlyResource(synthPipeline({ env: { RECORDER_TABLE_PROTECTION: "false" } }), "aws_dynamodb_table").body;
    expect(throwaway.deletion_protection_enabled).toBe(false);
    expect(throwaway.lifecycle).toEqual({ prevent_destroy: false });
  });

  test("the failed-executions rule sits on the default bus and matches only unsuccessful executions of this state machine", () => {
    const capture = resourceAt(tf, "aws_cloudwatch_event_rule", "failed-executions_rule").body;
    expect(capture).not.toHaveProperty("event_bus_name");
    expect(JSON.parse(capture.event_pattern)).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [stateMachineArn] },
    });
  });

  test("failed executions go to their own encrypted queue, kept 14 days, whose policy only admits the capture rule", () => {
    const captureRule = resourceAt(tf, "aws_cloudwatch_event_rule", "failed-executions_rule");
    const failedQueue = resourceAt(tf, "aws_sqs_queue", "failed-executions_queue");
    expect(failedQueue.body).toMatchObject({
      name: "MessageRecorder-dev-failed-executions",
      kms_master_key_id: ref("aws_kms_key", onlyResource(tf, "aws_kms_key").name, "arn"),
      message_retention_seconds: 1209600,
    });
    const captureTarget = resourceAt(tf, "aws_cloudwatch_event_target", "failed-executions_rule_failed-executions-queue").body;
    expect(captureTarget).toMatchObject({
      arn: ref("aws_sqs_queue", failedQueue.name, "arn"),
      rule: ref("aws_cloudwatch_event_rule", captureRule.name, "name"),
    });
    expect(captureTarget).not.toHaveProperty("input_transformer");
    const policy = resourceAt(tf, "aws_sqs_queue_policy", "failed-executions_queue_policy").body;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "AcceptFailedExecutionsFromTheRule",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: ref("aws_sqs_queue", failedQueue.name, "arn"),
        Condition: { ArnEquals: { "aws:SourceArn": ref("aws_cloudwatch_event_rule", captureRule.name, "arn") } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: ref("aws_sqs_queue", failedQueue.name, "arn"),
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
    expect(tf.output.failed_executions_queue_url.value).toBe(ref("aws_sqs_queue", failedQueue.name, "url"));
  });

  test("no IAM statement has a wildcard action", () => {
    const actions = allStatements(tf).flatMap((s) => list(s.Action));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });

  test("only log delivery, X-Ray and task responses use a wildcard resource (their APIs accept nothing else)", () => {
    const wildcard = allStatements(tf).filter((s) => list(s.Resource).includes("*"));
    expect(wildcard.map((s) => s.Sid).sort()).toEqual(["AnswerTaskTokens", "DeliverExecutionLogs", "WriteTraces", "WriteTraces"]);
  });

  test("outputs give what a user needs", () => {
    expect(Object.keys(tf.output).sort()).toEqual([
      "alarm_name_prefix",
      "alarm_topic_arn",
      "dashboard_name",
      "dead_letter_queue_url",
      "event_archive_arn",
      "event_archive_name",
      "event_bus_arn",
      "event_bus_name",
      "event_source",
      "failed_executions_queue_url",
      "messages_api_url",
      "messages_table_name",
      "operator_policy_arn",
      "reconciliation_queue_url",
      "reconciliation_rule_arn",
      "recorder_function_name",
      "state_machine_arn",
      "state_machine_log_group_name",
      "workflow_type",
    ]);
    expect(tf.output.state_machine_arn.value).toBe(stateMachineArn);
    expect(tf.output.dead_letter_queue_url.value).toBe(ref("aws_sqs_queue", queue.name, "url"));
  });

  test("state is in S3 per environment with encryption and S3-native locking, the bucket left to init", () => {
    expect(tf.terraform.backend).toEqual({
      s3: {
        key: "message-recorder/dev/terraform.tfstate",
        region: "us-east-1",
        encrypt: true,
        kms_key_id: "alias/message-recorder-tfstate",
        use_lockfile: true,
      },
    });
  });

  test("a configured state bucket is written into the backend", () => {
    const withBucket = synthPipeline({ env: { RECORDER_STATE_BUCKET: "acme-terraform-state", RECORDER_STATE_REGION: "eu-west-1" } });
    expect(withBucket.terraform.backend!.s3).toEqual({
      bucket: "acme-terraform-state",
      key: "message-recorder/dev/terraform.tfstate",
      region: "eu-west-1",
      encrypt: true,
      kms_key_id: "alias/message-recorder-tfstate",
      use_lockfile: true,
    });
  });
});

function allStatements(json: TerraformJson): Statement[] {
  return Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap(
    (p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement,
  );
}

describe("synth speed", () => {
  const creationStack = (cdktf: typeof import("cdktf")) =>
    (cdktf.Lazy.anyValue({ produce: () => 1 }) as unknown as { creationStack: string[] }).creationStack;

  test("cdktf's token creation stacks are skipped (a third of a synth), as the tests set up", () => {
    expect(creationStack({ Lazy } as typeof import("cdktf"))).toEqual([]);
  });

  test("defineStacks skips them for the app too, in a cdktf loaded fresh as main.ts loads it", () => {
    jest.isolateModules(() => {
      const cdktf = jest.requireActual<typeof import("cdktf")>("cdktf");
      expect(creationStack(cdktf).length).toBeGreaterThan(0);
      const { defineStacks } = jest.requireActual<typeof import("../stacks/app")>("../stacks/app");
      const { loadConfig } = jest.requireActual<typeof import("../stacks/config")>("../stacks/config");
      defineStacks(new cdktf.App({ outdir: temporaryDirectory("creation-stacks") }), loadConfig(), testArchive());
      expect(creationStack(cdktf)).toEqual([]);
    });
  });

  test("CDK_DEBUG keeps them, as AWS CDK's does", () => {
    jest.isolateModules(() => {
      const cdktf = jest.requireActual<typeof import("cdktf")>("cdktf");
      const { skipTokenCreationStacks } = jest.requireActual<typeof import("../stacks/creation-stacks")>("../stacks/creation-stacks");
      skipTokenCreationStacks({ CDK_DEBUG: "1" });
      expect(creationStack(cdktf).length).toBeGreaterThan(0);
      skipTokenCreationStacks({});
      expect(creationStack(cdktf)).toEqual([]);
    });
  });
});
