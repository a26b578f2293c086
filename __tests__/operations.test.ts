import Ajv from "ajv-draft-04";
import { MAX_MESSAGE_CHARACTERS, MESSAGE_REQUEST_MODEL, messageRefusal } from "../stacks/constructs/put-events-templates";
import { onlyResource, ref, resourcesOf, synthPipeline } from "./support/synth";

const tf = synthPipeline();
const topic = onlyResource(tf, "aws_sns_topic");
const alarms = Object.values(resourcesOf(tf, "aws_cloudwatch_metric_alarm")) as Array<Record<string, any>>;
/** The one alarm on a metric; the capture rule's own two EventBridge alarms are told apart by their names. */
const alarm = (metric: string) => {
  const found = alarms.filter((a) => a.metric_name === metric && !String(a.alarm_name).includes("-capture-"));
  expect(found).toHaveLength(1);
  return found[0];
};
const policyStatements = (roleName: string) => {
  const [roleId] = Object.entries(resourcesOf(tf, "aws_iam_role")).find(([, r]) => r.name === roleName)!;
  const policy = Object.values(resourcesOf(tf, "aws_iam_role_policy")).find((p) => p.role === ref("aws_iam_role", roleId, "id"))!;
  return JSON.parse(policy.policy as string).Statement as Array<{ Sid: string; Action: string[]; Resource: string[] }>;
};

describe("alarms", () => {
  test.each([
    ["ExecutionsFailed", "AWS/States", "Sum", 60],
    ["ExecutionsTimedOut", "AWS/States", "Sum", 60],
    ["ExecutionsAborted", "AWS/States", "Sum", 60],
    ["Errors", "AWS/Lambda", "Sum", 60],
    ["Throttles", "AWS/Lambda", "Sum", 60],
    ["FailedInvocations", "AWS/Events", "Sum", 60],
    ["InvocationsFailedToBeSentToDLQ", "AWS/Events", "Sum", 60],
    ["5XXError", "AWS/ApiGateway", "Sum", 60],
  ])("%s fires on the first occurrence, notifies the topic, and treats missing data as fine", (metric, namespace, statistic, period) => {
    expect(alarm(metric)).toMatchObject({
      namespace,
      statistic,
      period,
      evaluation_periods: 1,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
      alarm_actions: [ref("aws_sns_topic", topic.name, "arn")],
      ok_actions: [ref("aws_sns_topic", topic.name, "arn")],
    });
  });

  test.each([
    ["dlq-messages-visible", "ingress_dead-letter-queue", "ApproximateNumberOfMessagesVisible", 0],
    ["failed-executions-visible", "failed-executions_queue", "ApproximateNumberOfMessagesVisible", 0],
    ["dlq-oldest-message-age", "ingress_dead-letter-queue", "ApproximateAgeOfOldestMessage", 864000],
    ["failed-executions-oldest-message-age", "failed-executions_queue", "ApproximateAgeOfOldestMessage", 864000],
  ])("%s watches its queue (%s) and pages above %s, %d s", (id, queuePath, metric, threshold) => {
    const found = Object.entries(resourcesOf(tf, "aws_cloudwatch_metric_alarm")).find(([name]) => name.startsWith(`alarms_${id}_`))![1];
    const queueId = Object.keys(resourcesOf(tf, "aws_sqs_queue")).find((name) => name.startsWith(`${queuePath}_`))!;
    expect(found).toMatchObject({
      alarm_name: `message-recorder-dev-${id}`,
      namespace: "AWS/SQS",
      metric_name: metric,
      statistic: "Maximum",
      period: 300,
      threshold,
      comparison_operator: "GreaterThanThreshold",
      dimensions: { QueueName: ref("aws_sqs_queue", queueId, "name") },
      alarm_actions: [ref("aws_sns_topic", topic.name, "arn")],
    });
  });

  test("the capture rule has its own alarms: a failure not written to the failed-executions queue, and not even to the DLQ", () => {
    const [ruleId] = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_rule")).filter((name) => name.startsWith("failed-executions_rule_"));
    const capture = alarms.filter((a) => String(a.alarm_name).includes("-capture-"));
    expect(capture.map((a) => [a.alarm_name, a.metric_name]).sort()).toEqual([
      ["message-recorder-dev-capture-dlq-failures", "InvocationsFailedToBeSentToDLQ"],
      ["message-recorder-dev-capture-failed-invocations", "FailedInvocations"],
    ]);
    for (const a of capture)
      expect(a.dimensions).toEqual({ EventBusName: "default", RuleName: ref("aws_cloudwatch_event_rule", ruleId, "name") });
  });

  test("every rule target has a dead-letter queue", () => {
    for (const target of Object.values(resourcesOf(tf, "aws_cloudwatch_event_target")))
      expect(target.dead_letter_config).toEqual({ arn: expect.stringMatching(/^\$\{aws_sqs_queue\./) });
  });

  test("an age alarm pages four days before SQS would delete the message", () => {
    const retention = Object.values(resourcesOf(tf, "aws_sqs_queue")).map((q) => q.message_retention_seconds as number);
    for (const seconds of retention) expect(seconds - 864000).toBe(4 * 86400);
  });

  test("each alarm watches this stack's resources", () => {
    const [machineId] = Object.keys(resourcesOf(tf, "aws_sfn_state_machine"));
    const [functionId] = Object.keys(resourcesOf(tf, "aws_lambda_function"));
    const [busId] = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_bus"));
    const ruleId = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_rule")).find((name) => name.startsWith("ingress_rule_"))!;
    expect(alarm("ExecutionsFailed").dimensions).toEqual({ StateMachineArn: ref("aws_sfn_state_machine", machineId, "arn") });
    expect(alarm("Errors").dimensions).toEqual({ FunctionName: ref("aws_lambda_function", functionId, "function_name") });
    expect(alarm("FailedInvocations").dimensions).toEqual({
      EventBusName: ref("aws_cloudwatch_event_bus", busId, "name"),
      RuleName: ref("aws_cloudwatch_event_rule", ruleId, "name"),
    });
    const [apiId] = Object.keys(resourcesOf(tf, "aws_api_gateway_rest_api"));
    const [stageId] = Object.keys(resourcesOf(tf, "aws_api_gateway_stage"));
    expect(alarm("5XXError").dimensions).toEqual({
      ApiName: ref("aws_api_gateway_rest_api", apiId, "name"),
      Stage: ref("aws_api_gateway_stage", stageId, "stage_name"),
    });
  });

  test("no e-mail subscription unless configured; one when it is", () => {
    expect(resourcesOf(tf, "aws_sns_topic_subscription")).toEqual({});
    const withEmail = synthPipeline({ env: { RECORDER_ALARM_EMAIL: "oncall@example.com" } });
    expect(onlyResource(withEmail, "aws_sns_topic_subscription").body).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
  });
});

describe("tracing", () => {
  test("is on by default for the state machine and the Lambda", () => {
    expect(onlyResource(tf, "aws_sfn_state_machine").body.tracing_configuration).toEqual({ enabled: true });
    expect(onlyResource(tf, "aws_lambda_function").body.tracing_config).toEqual({ mode: "Active" });
  });

  test("switched off, it is off and no role gets X-Ray permissions", () => {
    const off = synthPipeline({ env: { RECORDER_TRACING: "false" } });
    expect(onlyResource(off, "aws_sfn_state_machine").body.tracing_configuration).toEqual({ enabled: false });
    expect(onlyResource(off, "aws_lambda_function").body.tracing_config).toEqual({ mode: "PassThrough" });
    expect(JSON.stringify(resourcesOf(off, "aws_iam_role_policy"))).not.toContain("xray:");
  });

  test("an EXPRESS workflow leaves it off unless asked, and keeps the recorder's logs at WARN", () => {
    const express = synthPipeline({ env: { RECORDER_WORKFLOW_TYPE: "express" } });
    expect(onlyResource(express, "aws_sfn_state_machine").body.tracing_configuration).toEqual({ enabled: false });
    expect(onlyResource(express, "aws_lambda_function").body).toMatchObject({
      tracing_config: { mode: "PassThrough" },
      logging_config: { application_log_level: "WARN", system_log_level: "WARN" },
    });
    expect(onlyResource(express, "aws_lambda_function").body.environment.variables.POWERTOOLS_TRACE_ENABLED).toBe("false");
    const traced = synthPipeline({
      env: { RECORDER_WORKFLOW_TYPE: "express", RECORDER_TRACING: "true", RECORDER_LAMBDA_LOG_LEVEL: "INFO" },
    });
    expect(onlyResource(traced, "aws_sfn_state_machine").body.tracing_configuration).toEqual({ enabled: true });
    expect(onlyResource(traced, "aws_lambda_function").body).toMatchObject({
      tracing_config: { mode: "Active" },
      logging_config: { application_log_level: "INFO" },
    });
  });
});

describe("the recorder's log level", () => {
  test("is INFO for a STANDARD workflow, and can be set in the recorder section", () => {
    expect(onlyResource(tf, "aws_lambda_function").body.logging_config).toMatchObject({
      log_format: "JSON",
      application_log_level: "INFO",
      system_log_level: "WARN",
    });
    const debug = synthPipeline({ context: { environments: { dev: { recorder: { logLevel: "DEBUG" } } } } });
    expect(onlyResource(debug, "aws_lambda_function").body.logging_config).toMatchObject({ application_log_level: "DEBUG" });
  });

  test("rejects a level Lambda does not know, naming the variable", () => {
    expect(() => synthPipeline({ env: { RECORDER_LAMBDA_LOG_LEVEL: "verbose" } })).toThrow(
      'RECORDER_LAMBDA_LOG_LEVEL: "verbose" is not allowed; expected one of DEBUG, INFO, WARN, ERROR',
    );
  });
});

describe("ingestion API", () => {
  const api = onlyResource(tf, "aws_api_gateway_rest_api");
  const method = onlyResource(tf, "aws_api_gateway_method");
  const integration = onlyResource(tf, "aws_api_gateway_integration");
  const bus = onlyResource(tf, "aws_cloudwatch_event_bus");
  const stage = onlyResource(tf, "aws_api_gateway_stage");

  test("POST /messages is the only method, on a REST API, and requires IAM (SigV4) authorization", () => {
    expect(onlyResource(tf, "aws_api_gateway_resource").body).toMatchObject({
      path_part: "messages",
      parent_id: ref("aws_api_gateway_rest_api", api.name, "root_resource_id"),
    });
    expect(method.body).toMatchObject({ http_method: "POST", authorization: "AWS_IAM" });
  });

  test("the body is validated against the message model before anything is published", () => {
    const model = onlyResource(tf, "aws_api_gateway_model");
    const validator = onlyResource(tf, "aws_api_gateway_request_validator");
    expect(validator.body).toMatchObject({ validate_request_body: true });
    expect(method.body).toMatchObject({
      request_validator_id: ref("aws_api_gateway_request_validator", validator.name, "id"),
      request_models: { "application/json": ref("aws_api_gateway_model", model.name, "name") },
    });
    expect(JSON.parse(model.body.schema)).toMatchObject({ type: "object", required: ["message"], additionalProperties: false });
  });

  test("the integration calls EventBridge PutEvents directly, with the API's role, and refuses other content types", () => {
    expect(integration.body).toMatchObject({
      type: "AWS",
      integration_http_method: "POST",
      uri: "arn:aws:apigateway:us-east-1:events:action/PutEvents",
      credentials: ref("aws_iam_role", "api_role_E8D414AF", "arn"),
      passthrough_behavior: "NEVER",
      request_parameters: {
        "integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
        "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
      },
    });
    expect(integration.body.request_templates["application/json"]).toContain(
      `"EventBusName": "${ref("aws_cloudwatch_event_bus", bus.name, "name")}"`,
    );
    expect(resourcesOf(tf, "aws_lambda_function")).not.toHaveProperty("api");
  });

  test("a PutEvents rejection reaches the caller as a 5xx, never as 200", () => {
    const responses = Object.values(resourcesOf(tf, "aws_api_gateway_integration_response")) as Array<Record<string, any>>;
    expect(responses.map((r) => [r.status_code, r.selection_pattern ?? null]).sort()).toEqual([
      ["200", null],
      ["500", "4\\d{2}"],
      ["503", "5\\d{2}"],
    ]);
    const ok = responses.find((r) => r.status_code === "200")!;
    expect(ok.response_templates["application/json"]).toContain("#if($result.FailedEntryCount > 0)");
    expect(ok.response_templates["application/json"]).toContain("#set($context.responseOverride.status = 502)");
    const declared = Object.values(resourcesOf(tf, "aws_api_gateway_method_response"))
      .map((r) => r.status_code)
      .sort();
    expect(declared).toEqual(["200", "500", "502", "503"]);
  });

  test("the API's role may only put events on this bus", () => {
    expect(policyStatements("message-recorder-dev-messages-role")).toEqual([
      {
        Sid: "PutEventsOnTheBus",
        Effect: "Allow",
        Action: ["events:PutEvents"],
        Resource: [ref("aws_cloudwatch_event_bus", bus.name, "arn")],
      },
    ]);
  });

  test("the stage throttles from config and writes JSON access logs that name the caller", () => {
    const settings = onlyResource(tf, "aws_api_gateway_method_settings").body;
    expect(settings).toMatchObject({ method_path: "*/*", settings: { throttling_rate_limit: 50, throttling_burst_limit: 100 } });
    const [logGroupId, logGroup] = Object.entries(resourcesOf(tf, "aws_cloudwatch_log_group")).find(([, g]) =>
      String(g.name).includes("apigateway"),
    )!;
    expect(logGroup.retention_in_days).toBe(7);
    expect(stage.body.access_log_settings.destination_arn).toBe(ref("aws_cloudwatch_log_group", logGroupId, "arn"));
    expect(JSON.parse(stage.body.access_log_settings.format)).toMatchObject({
      caller: "$context.identity.caller",
      userArn: "$context.identity.userArn",
      status: "$context.status",
    });
    const custom = synthPipeline({ env: { RECORDER_API_RATE_LIMIT: "5", RECORDER_API_BURST_LIMIT: "10" } });
    expect(onlyResource(custom, "aws_api_gateway_method_settings").body.settings).toEqual({
      throttling_rate_limit: 5,
      throttling_burst_limit: 10,
    });
  });

  test("the account's API Gateway logging role is set by default and can be left to another environment", () => {
    const account = onlyResource(tf, "aws_api_gateway_account").body;
    expect(account.cloudwatch_role_arn).toMatch(/^\$\{aws_iam_role\.api_account-logs-role_[0-9A-F]+\.arn\}$/);
    expect(stage.body.depends_on).toEqual([expect.stringMatching(/^aws_api_gateway_account\./)]);
    const without = synthPipeline({ env: { RECORDER_API_ACCOUNT_LOG_ROLE: "false" } });
    expect(resourcesOf(without, "aws_api_gateway_account")).toEqual({});
  });

  test("rejects jwt authorization, which the REST API does not offer", () => {
    expect(() => synthPipeline({ env: { RECORDER_API_AUTHORIZATION: "jwt" } })).toThrow(
      'RECORDER_API_AUTHORIZATION: "jwt" is not allowed; expected one of iam',
    );
  });

  test("a change of what the stage serves makes a new deployment", () => {
    const deployment = onlyResource(tf, "aws_api_gateway_deployment").body;
    expect(deployment.triggers.redeployment).toMatch(/^\$\{sha1\(jsonencode\(/);
    expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
    expect(stage.body.deployment_id).toBe(ref("aws_api_gateway_deployment", onlyResource(tf, "aws_api_gateway_deployment").name, "id"));
  });

  test("outputs the URL of POST /messages", () => {
    expect(tf.output.messages_api_url.value).toBe(`${ref("aws_api_gateway_stage", stage.name, "invoke_url")}/messages`);
  });
});

describe("npm run send's message rule", () => {
  // What the API model (validated as API Gateway does, JSON Schema draft 4) admits is what send admits.
  const model = new Ajv({ allErrors: false, strict: false }).compile(MESSAGE_REQUEST_MODEL as object);
  test.each([
    ["a JSON object", '{"hello":"world"}', undefined],
    ["a JSON array with spaces around", " [1, 2] ", undefined],
    ["plain words", "hello", 'must be JSON, got "hello"'],
    ["a JSON number", "5", "must be a JSON object or array, as POST /messages accepts"],
    ["a JSON string", '"text"', "must be a JSON object or array, as POST /messages accepts"],
    [
      "an object over the API's limit",
      `{"a":"${"x".repeat(MAX_MESSAGE_CHARACTERS)}"}`,
      `must be at most ${MAX_MESSAGE_CHARACTERS} characters, as POST /messages accepts; got ${MAX_MESSAGE_CHARACTERS + 8}`,
    ],
  ])("%s: refused or not as the API model decides", (_label, message, refusal) => {
    expect(messageRefusal(message)).toBe(refusal);
    expect(model({ message })).toBe(refusal === undefined);
  });
});
