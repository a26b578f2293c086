import { parseArgs, parseTime, runCli, UsageError, wholeNumber } from "./args";
import { deploymentRegion, readOutputs, requireOutputs } from "./outputs";

/**
 * npm run reconcile -- --outputs FILE [--stack NAME] --since TIME [--until TIME] [--dry-run] [--wait-seconds N]
 *
 * Replays a window of the bus archive into the reconciliation queue (never into the workflow), checks every
 * archived event against the table, and records what is missing as redrive does (or, with --dry-run, lists it).
 * Prints the counts; exits 1 when anything is still missing, 2 on bad arguments or while another reconcile runs.
 */
const USAGE = "usage: npm run reconcile -- --outputs FILE [--stack NAME] --since TIME [--until TIME] [--dry-run] [--wait-seconds N]";

runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), ["--outputs", "--stack", "--since", "--until", "--wait-seconds"], ["--dry-run"]);
  if (typeof args.outputs !== "string")
    throw new UsageError("--outputs is required (`terraform output -json > outputs.json`, or cdktf deploy --outputs-file)");
  if (typeof args.since !== "string") throw new UsageError("--since is required (e.g. --since 24h or --since 2026-11-01T00:00:00Z)");
  const since = parseTime("since", args.since);
  const until = typeof args.until === "string" ? parseTime("until", args.until) : new Date();
  if (until <= since) throw new UsageError(`--until: ${until.toISOString()} is not after --since ${since.toISOString()}`);
  const waitSeconds = args["wait-seconds"] === undefined ? 300 : wholeNumber("--wait-seconds", args["wait-seconds"]);
  const outputs = readOutputs(args.outputs, typeof args.stack === "string" ? args.stack : undefined);
  const needed = [
    "event_archive_arn",
    "event_archive_name",
    "event_bus_arn",
    "reconciliation_rule_arn",
    "reconciliation_queue_url",
    "state_machine_arn",
    "messages_table_name",
  ];
  requireOutputs(outputs, args.outputs, needed);
  const region = deploymentRegion(outputs.state_machine_arn);

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const [
    { DynamoDBClient },
    { EventBridgeClient },
    { SFNClient },
    { SQSClient },
    { formatReconcileSummary, reconcile, ReconcileBusy, stillMissing },
  ] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-eventbridge"),
    import("@aws-sdk/client-sfn"),
    import("@aws-sdk/client-sqs"),
    import("./reconcile-core"),
  ]);
  const config = { region };
  const dryRun = args["dry-run"] === true;
  try {
    const summary = await reconcile({
      events: new EventBridgeClient(config),
      sqs: new SQSClient(config),
      sfn: new SFNClient(config),
      dynamodb: new DynamoDBClient(config),
      target: {
        archiveArn: outputs.event_archive_arn,
        archiveName: outputs.event_archive_name,
        eventBusArn: outputs.event_bus_arn,
        reconciliationRuleArn: outputs.reconciliation_rule_arn,
        reconciliationQueueUrl: outputs.reconciliation_queue_url,
        stateMachineArn: outputs.state_machine_arn,
        tableName: outputs.messages_table_name,
        ...(outputs.workflow_type === "EXPRESS" ? { workflowType: "EXPRESS" as const } : {}),
      },
      since,
      until,
      dryRun,
      waitSeconds,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatReconcileSummary(summary, dryRun)}\n`);
    if (stillMissing(summary)) process.exitCode = 1;
  } catch (error) {
    if (error instanceof ReconcileBusy) throw new UsageError(error.message);
    throw error;
  }
});
