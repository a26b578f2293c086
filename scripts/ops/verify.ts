import { awsClients } from "../cli/aws-clients";
import { defineCli, runCli, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { deploymentRegion, OUTPUTS_OPTIONS, readOutputs, REQUIRED_OUTPUTS_OPTION, requireOutputs } from "./outputs";

/**
 * npm run verify -- --outputs <file> [--stack NAME] [--timeout SECONDS]
 *
 * Checks a deployed environment hop by hop with the standard AWS credentials (attach the stack's operator policy,
 * output operator_policy_arn): POST /messages (SigV4) and PutEvents, the table, the executions, the state
 * machine's log group, both queues and every alarm. One line per hop; exits 1 when a hop fails.
 */
const CLI = defineCli({
  command: "npm run verify --",
  summary:
    "Checks a deployed environment hop by hop: POST /messages (SigV4) and PutEvents, the table, the executions, the state machine's " +
    "log group, both queues and every alarm. One line per hop (PASS, SKIP with why, FAIL with the likely cause and the page to read); " +
    "exits 1 when a hop fails. Leaves two marked items in the table. Needs the stack's operator policy (output operator_policy_arn).",
  options: {
    outputs: REQUIRED_OUTPUTS_OPTION,
    stack: OUTPUTS_OPTIONS.stack,
    timeout: {
      value: "SECONDS",
      description: "how long to wait for the two messages to be recorded, a whole number of seconds",
      default: "120",
    },
  },
  examples: ["npm run verify -- --outputs outputs.json"],
});

runCli(CLI, async () => {
  const args = CLI.parse(process.argv.slice(2));
  const outputsFile = args.string("outputs")!;
  const outputs = readOutputs(outputsFile, args.string("stack"));
  const timeout = args.has("timeout") ? wholeNumber("--timeout", args.string("timeout")) : 120;
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
  requireOutputs(outputs, outputsFile, needed);
  const region = deploymentRegion(outputs.state_machine_arn);

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const [clients, { verify }, { signedPost }] = await Promise.all([
    awsClients(region, "events", "dynamodb", "sfn", "logs", "sqs", "cloudwatch"),
    import("./verify-core"),
    import("./signed-post"),
  ]);
  const progress = new Progress("verify: hops checked");
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
    clients,
    postMessage: (url, body) => signedPost(url, body, region),
    timeoutSeconds: timeout,
    log: (line) => progress.log(line),
  });
  progress.end();
  if (results.some((r) => r.outcome === "FAIL")) process.exitCode = 1;
});
