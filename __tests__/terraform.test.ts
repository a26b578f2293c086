import * as path from "node:path";
import { synthAppToDisk } from "./support/synth";
import { initValidatePlan, OFFLINE_ACCOUNT_ID, PlanResult, prepareOfflineCopy, terraformTierEnabled } from "./support/terraform";

const enabled = terraformTierEnabled();
const describeTerraform = enabled ? describe : describe.skip;

describeTerraform("Terraform tier: the synthesized pipeline stack validates and plans offline", () => {
  let plan: PlanResult;
  const byType = (type: string) => plan.resources.filter((r) => r.type === type);
  const one = (type: string) => {
    const found = byType(type);
    expect(found).toHaveLength(1);
    return found[0].values;
  };

  beforeAll(() => {
    const outdir = synthAppToDisk();
    plan = initValidatePlan(prepareOfflineCopy(path.join(outdir, "stacks", "message-recorder-dev")));
  });

  test("the plan creates every resource of the design and nothing else", () => {
    const counts: Record<string, number> = {};
    for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      aws_api_gateway_account: 1,
      aws_api_gateway_deployment: 1,
      aws_api_gateway_gateway_response: 1,
      aws_api_gateway_integration: 1,
      aws_api_gateway_integration_response: 3,
      aws_api_gateway_method: 1,
      aws_api_gateway_method_response: 4,
      aws_api_gateway_method_settings: 1,
      aws_api_gateway_model: 1,
      aws_api_gateway_request_validator: 1,
      aws_api_gateway_resource: 1,
      aws_api_gateway_rest_api: 1,
      aws_api_gateway_stage: 1,
      aws_cloudwatch_event_bus: 1,
      aws_cloudwatch_event_rule: 3,
      aws_cloudwatch_event_target: 3,
      aws_cloudwatch_log_group: 3,
      aws_cloudwatch_metric_alarm: 14,
      aws_dynamodb_table: 1,
      aws_cloudwatch_dashboard: 1,
      aws_cloudwatch_event_archive: 1,
      aws_iam_policy: 1,
      aws_iam_role: 5,
      aws_iam_role_policy: 4,
      aws_iam_role_policy_attachment: 1,
      aws_kms_alias: 1,
      aws_kms_key: 1,
      aws_lambda_function: 1,
      aws_sfn_state_machine: 1,
      aws_sns_topic: 1,
      aws_sns_topic_policy: 1,
      aws_sqs_queue: 3,
      aws_sqs_queue_policy: 3,
    });
    expect(new Set(plan.actions)).toEqual(new Set(["create"]));
  });

  test("the planned state machine is STANDARD and logs ALL with execution data", () => {
    const machine = one("aws_sfn_state_machine");
    expect(machine.type).toBe("STANDARD");
    expect(machine.logging_configuration).toEqual([expect.objectContaining({ level: "ALL", include_execution_data: true })]);
  });

  test("the planned function runs nodejs22.x on arm64 from the archive in the stack folder", () => {
    const fn = one("aws_lambda_function");
    expect(fn).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], handler: "index.handler", function_name: "recorder-dev" });
    expect(fn.filename).toMatch(/^assets\//);
    expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  test("the planned target retries 3 times and has its dead-letter queue", () => {
    const target = byType("aws_cloudwatch_event_target").find((t) => t.values.target_id === "message-recorder-workflow")!.values;
    expect(target.retry_policy).toEqual([{ maximum_retry_attempts: 3, maximum_event_age_in_seconds: 3600 }]);
    expect(target.event_bus_name).toBe("commonbus-dev");
    expect(target.dead_letter_config).toHaveLength(1);
  });

  test("the planned capture rule sits on the default bus and feeds the failed-executions queue", () => {
    const rule = byType("aws_cloudwatch_event_rule").find((r) => r.values.name === "MessageRecorder-dev-failed")!.values;
    expect(rule.event_bus_name).toBe("default");
    // The pattern names the state machine's ARN, known only after apply; the synth tier pins its content.
    expect(
      byType("aws_cloudwatch_event_target").find((t) => t.values.target_id === "failed-executions-queue")!.values.retry_policy,
    ).toEqual([{ maximum_retry_attempts: 185, maximum_event_age_in_seconds: 86400 }]);
    expect(
      byType("aws_sqs_queue")
        .map((q) => q.values.name)
        .sort(),
    ).toEqual(["MessageRecorder-dev-failed-executions", "commonbus-dev-reconcile", "sfnCommonEventProcessorDLQ-dev"]);
  });

  test("the planned table is protected from deletion", () => {
    expect(one("aws_dynamodb_table").deletion_protection_enabled).toBe(true);
  });

  test("the planned table has point-in-time recovery and encryption", () => {
    const table = one("aws_dynamodb_table");
    expect(table.point_in_time_recovery).toEqual([expect.objectContaining({ enabled: true })]);
    expect(table.server_side_encryption).toEqual([expect.objectContaining({ enabled: true })]);
  });

  test("the log groups are the design's, with one week retention", () => {
    expect(
      byType("aws_cloudwatch_log_group")
        .map((g) => [g.values.name, g.values.retention_in_days])
        .sort(),
    ).toEqual([
      ["/aws/lambda/recorder-dev", 7],
      ["/aws/vendedlogs/apigateway/message-recorder-dev-messages", 7],
      ["/aws/vendedlogs/states/MessageRecorder-dev", 7],
    ]);
  });

  test("the planned alarms all notify through the topic and treat missing data as fine", () => {
    const alarms = byType("aws_cloudwatch_metric_alarm");
    expect(alarms.map((a) => a.values.metric_name).sort()).toEqual([
      "5XXError",
      "ApproximateAgeOfOldestMessage",
      "ApproximateAgeOfOldestMessage",
      "ApproximateNumberOfMessagesVisible",
      "ApproximateNumberOfMessagesVisible",
      "Errors",
      "ExecutionsAborted",
      "ExecutionsFailed",
      "ExecutionsTimedOut",
      "FailedInvocations",
      "FailedInvocations",
      "InvocationsFailedToBeSentToDLQ",
      "InvocationsFailedToBeSentToDLQ",
      "Throttles",
    ]);
    for (const a of alarms) expect(a.values).toMatchObject({ treat_missing_data: "notBreaching" });
  });

  test("the planned API method requires IAM authorization, validates the body and integrates with PutEvents", () => {
    expect(one("aws_api_gateway_method")).toMatchObject({ http_method: "POST", authorization: "AWS_IAM" });
    expect(one("aws_api_gateway_request_validator")).toMatchObject({ validate_request_body: true });
    expect(one("aws_api_gateway_integration")).toMatchObject({ type: "AWS", uri: "arn:aws:apigateway:us-east-1:events:action/PutEvents" });
  });

  test("the planned key rotates, waits 30 days before deletion and has the environment's alias", () => {
    expect(one("aws_kms_key")).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(one("aws_kms_alias").name).toBe("alias/message-recorder-dev");
  });

  test("the planned key policy is known at plan time: it names only this account's log groups and rules", () => {
    const statements = JSON.parse(one("aws_kms_key").policy).Statement as Array<{
      Sid: string;
      Condition?: Record<string, Record<string, string[]>>;
    }>;
    const condition = (sid: string) => statements.find((s) => s.Sid === sid)!.Condition!;
    expect(condition("CloudWatchLogsUsesTheKeyForTheseLogGroups").ArnEquals["kms:EncryptionContext:aws:logs:arn"]).toEqual([
      `arn:aws:logs:us-east-1:${OFFLINE_ACCOUNT_ID}:log-group:/aws/lambda/recorder-dev`,
      `arn:aws:logs:us-east-1:${OFFLINE_ACCOUNT_ID}:log-group:/aws/vendedlogs/states/MessageRecorder-dev`,
      `arn:aws:logs:us-east-1:${OFFLINE_ACCOUNT_ID}:log-group:/aws/vendedlogs/apigateway/message-recorder-dev-messages`,
    ]);
    // Built from names, and equal to the ARNs the rules get: a rule on a custom bus is `rule/<bus>/<name>`.
    const ruleArns = plan.resources
      .filter((r) => r.type === "aws_cloudwatch_event_rule")
      .map(
        (r) =>
          `arn:aws:events:us-east-1:${OFFLINE_ACCOUNT_ID}:rule/${r.values.event_bus_name && r.values.event_bus_name !== "default" ? `${r.values.event_bus_name}/` : ""}${r.values.name}`,
      );
    expect([...condition("EventBridgeSendsToEncryptedQueues").ArnEquals["aws:SourceArn"]].sort()).toEqual([...ruleArns].sort());
  });

  test("the planned state machine role trusts Step Functions only for this account's state machine", () => {
    const role = byType("aws_iam_role").find((r) => r.values.name === "MessageRecorder-dev-role")!;
    expect(JSON.parse(role.values.assume_role_policy).Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": OFFLINE_ACCOUNT_ID },
      ArnLike: { "aws:SourceArn": `arn:aws:states:us-east-1:${OFFLINE_ACCOUNT_ID}:stateMachine:MessageRecorder-dev` },
    });
  });

  test("outputs known at plan time carry the configured names", () => {
    expect(plan.outputs.event_bus_name.value).toBe("commonbus-dev");
    expect(plan.outputs.messages_table_name.value).toBe("MessagesTable-dev");
  });
});
