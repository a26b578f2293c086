import { Testing, TerraformStack } from "cdktf";
import { EncryptionKey } from "../stacks/constructs/encryption-key";
import { ServiceRole } from "../stacks/constructs/service-role";
import { onlyResource, ref, resourceAt, resourcesOf, synthPipeline, TerraformJson } from "./support/synth";

/**
 * Pins what the customer-managed key protects and who may use it (issue 11): each key policy statement, each
 * kms attribute, each trust condition and each TLS deny. A change that drops one fails here.
 */

const ACCOUNT = "${data.aws_caller_identity.caller-identity.account_id}";
const PARTITION = "${data.aws_partition.partition.partition}";
const REGION = "${data.aws_region.region.name}";
const arn = (service: string, resource: string) => `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}`;

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const tf = synthPipeline();
const key = onlyResource(tf, "aws_kms_key");
const keyArn = ref("aws_kms_key", key.name, "arn");
const keyPolicy = JSON.parse(key.body.policy).Statement as Statement[];
const keyStatement = (sid: string) => {
  const found = keyPolicy.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no key policy statement ${sid}`);
  return found;
};
const rule = resourceAt(tf, "aws_cloudwatch_event_rule", "ingress_rule");
const ruleArn = ref("aws_cloudwatch_event_rule", rule.name, "arn");
const stateMachineArnFromName = arn("states", "stateMachine:MessageRecorder-dev");

function roleNamed(json: TerraformJson, name: string): { resource: string; trust: Statement[]; policy: Statement[] } {
  const entry = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, body]) => body.name === name);
  if (!entry) throw new Error(`no role named ${name}`);
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.role === ref("aws_iam_role", entry[0], "id"))!;
  return {
    resource: entry[0],
    trust: JSON.parse(entry[1].assume_role_policy as string).Statement,
    policy: JSON.parse(policy.policy as string).Statement,
  };
}
const sidOf = (statements: Statement[], sid: string) => statements.find((s) => s.Sid === sid);
const logGroupNamed = (json: TerraformJson, name: string) =>
  Object.values(resourcesOf(json, "aws_cloudwatch_log_group")).find((g) => g.name === name)!;

describe("customer-managed key (encryption = customer-managed, the default)", () => {
  test("one key per environment: rotation on, 30-day deletion window, alias named after the environment", () => {
    expect(key.body).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(onlyResource(tf, "aws_kms_alias").body).toEqual({
      name: "alias/message-recorder-dev",
      target_key_id: ref("aws_kms_key", key.name, "key_id"),
    });
  });

  test("the deletion window comes from config", () => {
    expect(
      onlyResource(synthPipeline({ env: { RECORDER_KEY_DELETION_WINDOW_DAYS: "7" } }), "aws_kms_key").body.deletion_window_in_days,
    ).toBe(7);
  });

  test("the key policy has exactly the statements the stack's resources need", () => {
    expect(keyPolicy.map((s) => s.Sid)).toEqual([
      "EnableIamPoliciesOfThisAccount",
      "CloudWatchLogsUsesTheKeyForTheseLogGroups",
      "LogDeliveryDecryptsVendedLogs",
      "EventBridgeSendsToEncryptedQueues",
      "CloudWatchAlarmsPublishToEncryptedTopics",
    ]);
  });

  test("key policy: the account's IAM policies decide who else may use the key", () => {
    expect(keyStatement("EnableIamPoliciesOfThisAccount")).toEqual({
      Sid: "EnableIamPoliciesOfThisAccount",
      Effect: "Allow",
      Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    });
  });

  test("key policy: CloudWatch Logs may use the key for the stack's log groups only", () => {
    expect(keyStatement("CloudWatchLogsUsesTheKeyForTheseLogGroups")).toEqual({
      Sid: "CloudWatchLogsUsesTheKeyForTheseLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnEquals: {
          "kms:EncryptionContext:aws:logs:arn": [
            arn("logs", "log-group:/aws/lambda/recorder-dev"),
            arn("logs", "log-group:/aws/vendedlogs/states/MessageRecorder-dev"),
            arn("logs", "log-group:/aws/vendedlogs/apigateway/message-recorder-dev-messages"),
          ],
        },
      },
    });
  });

  test("key policy: log delivery may decrypt vended logs of this account and region only", () => {
    expect(keyStatement("LogDeliveryDecryptsVendedLogs")).toEqual({
      Sid: "LogDeliveryDecryptsVendedLogs",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "kms:EncryptionContext:SourceArn": arn("logs", "*") } },
    });
  });

  test("key policy: EventBridge may use the key only on behalf of the three rules that write to our queues (aws:SourceArn, as SQS documents)", () => {
    expect(keyStatement("EventBridgeSendsToEncryptedQueues")).toEqual({
      Sid: "EventBridgeSendsToEncryptedQueues",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        ArnEquals: {
          "aws:SourceArn": [
            arn("events", "rule/commonbus-dev/sfnCommonEventProcessorRule-dev"),
            arn("events", "rule/MessageRecorder-dev-failed"),
            arn("events", "rule/commonbus-dev/sfnCommonEventProcessorRule-dev-reconcile"),
          ],
        },
      },
    });
  });

  test("key policy: CloudWatch may use the key only for this stack's alarms", () => {
    expect(keyStatement("CloudWatchAlarmsPublishToEncryptedTopics")).toEqual({
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnLike: { "aws:SourceArn": [arn("cloudwatch", "alarm:message-recorder-dev-*")] },
      },
    });
  });

  test("the key policy names no resource that uses the key (no dependency cycle)", () => {
    expect(key.body.policy).not.toContain("${aws_");
    const encrypted = [
      "aws_cloudwatch_log_group",
      "aws_sfn_state_machine",
      "aws_sqs_queue",
      "aws_sns_topic",
      "aws_dynamodb_table",
      "aws_lambda_function",
    ];
    expect(key.body.policy).not.toMatch(new RegExp(`\\$\\{(${encrypted.join("|")})\\.`));
  });

  test("the table is encrypted with the key", () => {
    expect(onlyResource(tf, "aws_dynamodb_table").body.server_side_encryption).toEqual({ enabled: true, kms_key_arn: keyArn });
  });

  test.each(["ingress_dead-letter-queue", "failed-executions_queue"])(
    "the queue %s is encrypted with the key instead of SQS-managed keys",
    (queuePath) => {
      const queue = resourceAt(tf, "aws_sqs_queue", queuePath).body;
      expect(queue.kms_master_key_id).toBe(keyArn);
      expect(queue).not.toHaveProperty("sqs_managed_sse_enabled");
    },
  );

  test("the API's access log group is encrypted with the key", () => {
    expect(resourceAt(tf, "aws_cloudwatch_log_group", "api_access-logs").body.kms_key_id).toBe(keyArn);
  });

  test("the alarm topic is encrypted with the key", () => {
    expect(onlyResource(tf, "aws_sns_topic").body.kms_master_key_id).toBe(keyArn);
  });

  test("both log groups are encrypted with the key", () => {
    expect(logGroupNamed(tf, "/aws/lambda/recorder-dev").kms_key_id).toBe(keyArn);
    expect(logGroupNamed(tf, "/aws/vendedlogs/states/MessageRecorder-dev").kms_key_id).toBe(keyArn);
  });

  test("the state machine is encrypted with the key, reusing a data key at most 5 minutes", () => {
    expect(onlyResource(tf, "aws_sfn_state_machine").body.encryption_configuration).toEqual({
      type: "CUSTOMER_MANAGED_KMS_KEY",
      kms_key_id: keyArn,
      kms_data_key_reuse_period_seconds: 300,
    });
  });

  test("the Lambda environment is encrypted with the key", () => {
    expect(onlyResource(tf, "aws_lambda_function").body.kms_key_arn).toBe(keyArn);
  });

  test("the state machine role uses the key for its own executions and its vended logs only", () => {
    const { policy } = roleNamed(tf, "MessageRecorder-dev-role");
    expect(sidOf(policy, "EncryptOwnExecutions")).toEqual({
      Sid: "EncryptOwnExecutions",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: [keyArn],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:states:stateMachineArn": stateMachineArnFromName } },
    });
    expect(sidOf(policy, "EncryptVendedLogs")).toEqual({
      Sid: "EncryptVendedLogs",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey"],
      Resource: [keyArn],
      Condition: { StringLike: { "kms:EncryptionContext:SourceArn": arn("logs", "*") } },
    });
  });

  test("the target role has no key statement: StartExecution needs no KMS permission", () => {
    expect(JSON.stringify(roleNamed(tf, "sfnCommonEventProcessorRule-dev-target-role").policy)).not.toContain("kms:");
  });

  test("the recorder role uses the key through CloudWatch Logs and DynamoDB only: Lambda decrypts its environment under its own grant, and task responses need none", () => {
    const { policy } = roleNamed(tf, "recorder-dev-role");
    expect(policy.filter((s) => [s.Action].flat().some((a) => a.startsWith("kms:")))).toEqual([
      {
        Sid: "WriteLogsThroughCloudWatchLogs",
        Effect: "Allow",
        Resource: [keyArn],
        Action: [
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ],
        Condition: { StringEquals: { "kms:ViaService": `logs.${REGION}.amazonaws.com` } },
      },
      {
        Sid: "UseTheKeyThroughDynamoDB",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: [keyArn],
        Condition: { StringEquals: { "kms:ViaService": `dynamodb.${REGION}.amazonaws.com` } },
      },
    ]);
  });

  test("no role statement grants key use on anything but this key", () => {
    const kmsStatements = Object.values(resourcesOf(tf, "aws_iam_role_policy"))
      .flatMap((p) => JSON.parse(p.policy as string).Statement as Statement[])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith("kms:")));
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const s of kmsStatements) expect(s.Resource).toEqual([keyArn]);
  });
});

describe("confused-deputy guards on every service role, as each service documents them", () => {
  test.each([
    ["MessageRecorder-dev-role", "states.amazonaws.com"],
    ["sfnCommonEventProcessorRule-dev-target-role", "events.amazonaws.com"],
  ])("%s trusts %s only for this account", (roleName, service) => {
    const [statement] = roleNamed(tf, roleName).trust;
    expect(statement.Principal).toEqual({ Service: service });
    expect(statement.Condition!.StringEquals).toEqual({ "aws:SourceAccount": ACCOUNT });
  });

  test.each([
    ["recorder-dev-role", "lambda.amazonaws.com"],
    ["message-recorder-dev-messages-role", "apigateway.amazonaws.com"],
  ])("%s trusts %s without a condition: none is documented, and one it does not send denies every AssumeRole", (roleName, service) => {
    expect(roleNamed(tf, roleName).trust).toEqual([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
  });

  test("the account's API Gateway logging role trusts apigateway.amazonaws.com without a condition, as the set-up-logging page shows", () => {
    const role = Object.values(resourcesOf(tf, "aws_iam_role")).find((r) => r.name === "message-recorder-dev-messages-apigw-logs")!;
    expect(JSON.parse(role.assume_role_policy as string).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  test("throws when a role is given an aws:SourceArn its service is not documented to send", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    expect(
      () =>
        new ServiceRole(stack, "api-role", {
          roleName: "r",
          assumedBy: "apigateway.amazonaws.com",
          description: "d",
          sourceArn: "arn:aws:execute-api:us-east-1:1:a",
        }),
    ).toThrow("s/api-role: apigateway.amazonaws.com is not documented to send aws:SourceArn when it assumes a role; leave sourceArn out");
  });

  test("the state machine role trusts Step Functions only on behalf of this state machine", () => {
    expect(roleNamed(tf, "MessageRecorder-dev-role").trust[0].Condition!.ArnLike).toEqual({ "aws:SourceArn": stateMachineArnFromName });
  });

  test("the target role trusts EventBridge only on behalf of this rule", () => {
    expect(roleNamed(tf, "sfnCommonEventProcessorRule-dev-target-role").trust[0].Condition!.ArnLike).toEqual({ "aws:SourceArn": ruleArn });
  });

  test("one caller-identity data source serves the whole stack", () => {
    expect(Object.keys((tf as unknown as { data: Record<string, object> }).data.aws_caller_identity)).toEqual(["caller-identity"]);
  });
});

describe("TLS-only queue and topic", () => {
  const tlsDeny = (resource: string, action: string) => ({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });

  test.each(["ingress_dead-letter-queue", "failed-executions_queue"])(
    "the policy of the queue %s denies every request without TLS",
    (queuePath) => {
      const queue = resourceAt(tf, "aws_sqs_queue", queuePath);
      const statements = JSON.parse(resourceAt(tf, "aws_sqs_queue_policy", `${queuePath}_policy`).body.policy).Statement;
      expect(statements).toContainEqual(tlsDeny(ref("aws_sqs_queue", queue.name, "arn"), "sqs:*"));
    },
  );

  test("the topic policy admits only this stack's alarms and denies publishing without TLS", () => {
    const topic = onlyResource(tf, "aws_sns_topic");
    const topicArn = ref("aws_sns_topic", topic.name, "arn");
    const policy = onlyResource(tf, "aws_sns_topic_policy").body;
    expect(policy.arn).toBe(topicArn);
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "AlarmsOfThisStackPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": arn("cloudwatch", "alarm:message-recorder-dev-*") },
        },
      },
      tlsDeny(topicArn, "sns:Publish"),
    ]);
  });
});

describe("encryption = aws-managed", () => {
  const managed = synthPipeline({ env: { RECORDER_ENCRYPTION: "aws-managed" } });

  test("creates no key and keeps AWS-managed encryption: SSE-SQS queue, DynamoDB's own key, no kms attributes", () => {
    expect(resourcesOf(managed, "aws_kms_key")).toEqual({});
    expect(resourcesOf(managed, "aws_kms_alias")).toEqual({});
    for (const queue of Object.values(resourcesOf(managed, "aws_sqs_queue"))) expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(onlyResource(managed, "aws_dynamodb_table").body.server_side_encryption).toEqual({ enabled: true });
    expect(JSON.stringify(managed.resource)).not.toMatch(/kms_key_id|kms_master_key_id|kms_key_arn|encryption_configuration|"kms:/);
  });

  test("keeps the trust conditions and the TLS denies", () => {
    expect(roleNamed(managed, "MessageRecorder-dev-role").trust[0].Condition!.ArnLike).toEqual({
      "aws:SourceArn": stateMachineArnFromName,
    });
    for (const policy of Object.values(resourcesOf(managed, "aws_sqs_queue_policy")))
      expect(policy.policy).toContain("aws:SecureTransport");
    expect(onlyResource(managed, "aws_sns_topic_policy").body.policy).toContain("aws:SecureTransport");
  });
});

describe("EncryptionKey construct", () => {
  const keyIn = (deletionWindowInDays?: number) =>
    new EncryptionKey(new TerraformStack(Testing.app(), "s"), "key", { aliasName: "a", description: "d", deletionWindowInDays });

  test.each([6, 31, 7.5])("throws when the deletion window is %s days, naming the bounds", (days) => {
    expect(() => keyIn(days)).toThrow(`s/key: deletionWindowInDays must be an integer from 7 to 30. Received: ${days}`);
  });

  test("defaults the deletion window to 30 days", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new EncryptionKey(stack, "key", { aliasName: "a", description: "d" });
    expect(onlyResource(JSON.parse(Testing.synth(stack)) as TerraformJson, "aws_kms_key").body.deletion_window_in_days).toBe(30);
  });

  test("a key nobody registered with admits only the account's IAM policies", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new EncryptionKey(stack, "key", { aliasName: "a", description: "d" });
    const statements = JSON.parse(onlyResource(JSON.parse(Testing.synth(stack)) as TerraformJson, "aws_kms_key").body.policy).Statement;
    expect(statements.map((s: Statement) => s.Sid)).toEqual(["EnableIamPoliciesOfThisAccount"]);
  });

  test("the consumers assemble the key policy: two statements under one Sid merge their condition values", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const key = new EncryptionKey(stack, "key", { aliasName: "a", description: "d" });
    const statement = (queueArn: string) => ({
      Sid: "QueueWriter",
      Effect: "Allow" as const,
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:GenerateDataKey"],
      Resource: "*",
      Condition: { ArnEquals: { "aws:SourceArn": [queueArn] } },
    });
    key.addToResourcePolicy(statement("arn:rule/a"));
    key.addToResourcePolicy(statement("arn:rule/b"));
    key.addToResourcePolicy(statement("arn:rule/a"));
    const statements = JSON.parse(onlyResource(JSON.parse(Testing.synth(stack)) as TerraformJson, "aws_kms_key").body.policy).Statement;
    expect(statements.map((s: Statement) => s.Sid)).toEqual(["EnableIamPoliciesOfThisAccount", "QueueWriter"]);
    expect(statements[1].Condition).toEqual({ ArnEquals: { "aws:SourceArn": ["arn:rule/a", "arn:rule/b"] } });
  });

  test("throws when a different statement is added under a Sid already in the policy", () => {
    const key = keyIn();
    key.addToResourcePolicy({
      Sid: "Writer",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "kms:Decrypt",
      Resource: "*",
    });
    expect(() =>
      key.addToResourcePolicy({
        Sid: "Writer",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "kms:Decrypt",
        Resource: "*",
      }),
    ).toThrow("s/key: a different key policy statement already has the Sid Writer");
  });
});
