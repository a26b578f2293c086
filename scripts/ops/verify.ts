import { parseArgs, runCli, UsageError } from "./args";
import { deploymentRegion, readOutputs, requireOutputs } from "./outputs";

/**
 * npm run verify -- --outputs <file> [--stack NAME] [--timeout SECONDS]
 *
 * Checks a deployed environment hop by hop with the standard AWS credentials (attach the stack's operator policy,
 * output operator_policy_arn): POST /messages (SigV4) and PutEvents, the table, the executions, the state
 * machine's log group, both queues and every alarm. One line per hop; exits 1 when a hop fails.
 */
const USAGE = "usage: npm run verify -- --outputs FILE [--stack NAME] [--timeout SECONDS]";

runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), ["--outputs", "--stack", "--timeout"]);
  if (typeof args.outputs !== "string")
    throw new UsageError("--outputs is required (`terraform output -json > outputs.json`, or cdktf deploy --outputs-file)");
  const outputs = readOutputs(args.outputs, typeof args.stack === "string" ? args.stack : undefined);
  const timeout = typeof args.timeout === "string" ? Number(args.timeout) : 120;
  if (typeof args.timeout === "string" && (!/^\d+$/.test(args.timeout) || timeout < 1))
    throw new UsageError(`--timeout: "${args.timeout}" is not allowed; expected a whole number of seconds, at least 1`);
  const needed = [
    "messages_api_url",
    "event_bus_name",
    "event_source",
    "state_machine_arn",
    "messages_table_name",
    "state_machine_log_group_name",
    "dead_letter_queue_url",
    "failed_executions_queue_url",
    "alarm_name_prefix",
  ];
  requireOutputs(outputs, args.outputs, needed);
  const region = deploymentRegion(outputs.state_machine_arn);

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const [
    { CloudWatchClient },
    { CloudWatchLogsClient },
    { DynamoDBClient },
    { EventBridgeClient },
    { SFNClient },
    { SQSClient },
    { verify },
    { signedPost },
  ] = await Promise.all([
    import("@aws-sdk/client-cloudwatch"),
    import("@aws-sdk/client-cloudwatch-logs"),
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-eventbridge"),
    import("@aws-sdk/client-sfn"),
    import("@aws-sdk/client-sqs"),
    import("./verify-core"),
    import("./signed-post"),
  ]);
  const config = { region };
  const results = await verify({
    target: {
      messagesApiUrl: outputs.messages_api_url,
      eventBusName: outputs.event_bus_name,
      eventSource: outputs.event_source,
      stateMachineArn: outputs.state_machine_arn,
      workflowType: outputs.workflow_type === "EXPRESS" ? "EXPRESS" : "STANDARD",
      tableName: outputs.messages_table_name,
      logGroupName: outputs.state_machine_log_group_name,
      deadLetterQueueUrl: outputs.dead_letter_queue_url,
      failedExecutionsQueueUrl: outputs.failed_executions_queue_url,
      alarmNamePrefix: outputs.alarm_name_prefix,
    },
    clients: {
      events: new EventBridgeClient(config),
      dynamodb: new DynamoDBClient(config),
      sfn: new SFNClient(config),
      logs: new CloudWatchLogsClient(config),
      sqs: new SQSClient(config),
      cloudwatch: new CloudWatchClient(config),
    },
    postMessage: (url, body) => signedPost(url, body, region),
    timeoutSeconds: timeout,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (results.some((r) => r.outcome === "FAIL")) process.exitCode = 1;
});
