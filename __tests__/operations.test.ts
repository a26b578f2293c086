import { onlyResource, ref, resourcesOf, synthPipeline } from "./support/synth";

const tf = synthPipeline();
const topic = onlyResource(tf, "aws_sns_topic");
const alarms = Object.values(resourcesOf(tf, "aws_cloudwatch_metric_alarm")) as Array<Record<string, any>>;
const alarm = (metric: string) => {
  const found = alarms.filter((a) => a.metric_name === metric);
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
    ["ApproximateNumberOfMessagesVisible", "AWS/SQS", "Maximum", 300],
    ["ExecutionsFailed", "AWS/States", "Sum", 60],
    ["ExecutionsTimedOut", "AWS/States", "Sum", 60],
    ["ExecutionsAborted", "AWS/States", "Sum", 60],
    ["Errors", "AWS/Lambda", "Sum", 60],
    ["Throttles", "AWS/Lambda", "Sum", 60],
    ["FailedInvocations", "AWS/Events", "Sum", 60],
    ["InvocationsFailedToBeSentToDLQ", "AWS/Events", "Sum", 60],
  ])("%s fires on the first occurrence, notifies the topic, and treats missing data as fine", (metric, namespace, statistic, period) => {
    expect(alarm(metric)).toMatchObject({
      namespace, statistic, period, evaluation_periods: 1, threshold: 0, comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching", alarm_actions: [ref("aws_sns_topic", topic.name, "arn")], ok_actions: [ref("aws_sns_topic", topic.name, "arn")],
    });
  });

  test("each alarm watches this stack's resources", () => {
    const [queueId] = Object.keys(resourcesOf(tf, "aws_sqs_queue"));
    const [machineId] = Object.keys(resourcesOf(tf, "aws_sfn_state_machine"));
    const [functionId] = Object.keys(resourcesOf(tf, "aws_lambda_function"));
    const [busId] = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_bus"));
    const [ruleId] = Object.keys(resourcesOf(tf, "aws_cloudwatch_event_rule"));
    expect(alarm("ApproximateNumberOfMessagesVisible").dimensions).toEqual({ QueueName: ref("aws_sqs_queue", queueId, "name") });
    expect(alarm("ExecutionsFailed").dimensions).toEqual({ StateMachineArn: ref("aws_sfn_state_machine", machineId, "arn") });
    expect(alarm("Errors").dimensions).toEqual({ FunctionName: ref("aws_lambda_function", functionId, "function_name") });
    expect(alarm("FailedInvocations").dimensions).toEqual({
      EventBusName: ref("aws_cloudwatch_event_bus", busId, "name"), RuleName: ref("aws_cloudwatch_event_rule", ruleId, "name"),
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
});

describe("ingestion API", () => {
  const api = onlyResource(tf, "aws_apigatewayv2_api");
  const route = onlyResource(tf, "aws_apigatewayv2_route");
  const integration = onlyResource(tf, "aws_apigatewayv2_integration");
  const bus = onlyResource(tf, "aws_cloudwatch_event_bus");

  test("POST /messages is the only route and requires IAM (SigV4) authorization", () => {
    expect(api.body.protocol_type).toBe("HTTP");
    expect(route.body).toMatchObject({ route_key: "POST /messages", authorization_type: "AWS_IAM", target: `integrations/${ref("aws_apigatewayv2_integration", integration.name, "id")}` });
  });

  test("the route integrates directly with EventBridge PutEvents: body as detail, fixed source and detail-type", () => {
    expect(integration.body).toMatchObject({
      integration_type: "AWS_PROXY",
      integration_subtype: "EventBridge-PutEvents",
      request_parameters: { EventBusName: ref("aws_cloudwatch_event_bus", bus.name, "name"), Source: "com.devpost.commonevent", DetailType: "message", Detail: "$request.body" },
    });
    expect(resourcesOf(tf, "aws_lambda_function")).not.toHaveProperty("api");
  });

  test("the API's role may only put events on this bus", () => {
    expect(policyStatements("message-recorder-dev-messages-role")).toEqual([
      { Sid: "PutEventsOnTheBus", Effect: "Allow", Action: ["events:PutEvents"], Resource: [ref("aws_cloudwatch_event_bus", bus.name, "arn")] },
    ]);
  });

  test("the stage throttles from config and writes access logs to a log group with retention", () => {
    const stage = onlyResource(tf, "aws_apigatewayv2_stage").body;
    expect(stage.default_route_settings).toEqual({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
    const [logGroupId, logGroup] = Object.entries(resourcesOf(tf, "aws_cloudwatch_log_group")).find(([, g]) => String(g.name).includes("apigateway"))!;
    expect(logGroup.retention_in_days).toBe(7);
    expect(stage.access_log_settings.destination_arn).toBe(ref("aws_cloudwatch_log_group", logGroupId, "arn"));
    const custom = synthPipeline({ env: { RECORDER_API_RATE_LIMIT: "5", RECORDER_API_BURST_LIMIT: "10" } });
    expect(onlyResource(custom, "aws_apigatewayv2_stage").body.default_route_settings).toEqual({ throttling_rate_limit: 5, throttling_burst_limit: 10 });
  });

  test("with a JWT authorizer configured, the route requires a valid token instead", () => {
    const jwt = synthPipeline({ env: { RECORDER_API_AUTHORIZATION: "jwt", RECORDER_JWT_ISSUER: "https://issuer.example.com", RECORDER_JWT_AUDIENCE: "recorder" } });
    const authorizer = onlyResource(jwt, "aws_apigatewayv2_authorizer");
    expect(authorizer.body).toMatchObject({ authorizer_type: "JWT", jwt_configuration: { issuer: "https://issuer.example.com", audience: ["recorder"] } });
    expect(onlyResource(jwt, "aws_apigatewayv2_route").body).toMatchObject({ authorization_type: "JWT", authorizer_id: ref("aws_apigatewayv2_authorizer", authorizer.name, "id") });
  });

  test("rejects jwt authorization without issuer and audience", () => {
    expect(() => synthPipeline({ env: { RECORDER_API_AUTHORIZATION: "jwt" } })).toThrow(/^jwtIssuer \/ jwtAudience \(dev\): both are required/);
  });

  test("outputs the URL of POST /messages", () => {
    expect(tf.output.messages_api_url.value).toBe(`${ref("aws_apigatewayv2_api", api.name, "api_endpoint")}/messages`);
  });
});
