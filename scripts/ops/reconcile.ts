import { parseArgs, parseTime, runCli, UsageError } from "./args";
import { readOutputs } from "./outputs";

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
  if (typeof args.outputs !== "string") throw new UsageError("--outputs is required (`terraform output -json > outputs.json`, or cdktf deploy --outputs-file)");
  if (typeof args.since !== "string") throw new UsageError("--since is required (e.g. --since 24h or --since 2026-11-01T00:00:00Z)");
  const since = parseTime("since", args.since);
  const until = typeof args.until === "string" ? parseTime("until", args.until) : new Date();
  if (until <= since) throw new UsageError(`--until: ${until.toISOString()} is not after --since ${since.toISOString()}`);
  const waitSeconds = typeof args["wait-seconds"] === "string" ? Number(args["wait-seconds"]) : 300;
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1) throw new UsageError(`--wait-seconds: "${String(args["wait-seconds"])}" is not allowed; expected a whole number of at least 1`);
  const outputs = readOutputs(args.outputs, typeof args.stack === "string" ? args.stack : undefined);
  const needed = ["event_archive_arn", "event_archive_name", "event_bus_arn", "reconciliation_rule_arn", "reconciliation_queue_url", "state_machine_arn", "messages_table_name"];
  const absent = needed.filter((name) => !outputs[name]);
  if (absent.length > 0) throw new UsageError(`--outputs ${args.outputs}: missing ${absent.join(", ")}; redeploy with this version to get every output`);
  const region = process.env.AWS_REGION || outputs.state_machine_arn.split(":")[3];

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const [{ DynamoDBClient }, { EventBridgeClient }, { SFNClient }, { SQSClient }, { formatReconcileSummary, reconcile, ReconcileBusy, stillMissing }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"), import("@aws-sdk/client-eventbridge"), import("@aws-sdk/client-sfn"), import("@aws-sdk/client-sqs"), import("./reconcile-core"),
  ]);
  const config = { region };
  const dryRun = args["dry-run"] === true;
  try {
    const summary = await reconcile({
      events: new EventBridgeClient(config), sqs: new SQSClient(config), sfn: new SFNClient(config), dynamodb: new DynamoDBClient(config),
      target: {
        archiveArn: outputs.event_archive_arn, archiveName: outputs.event_archive_name, eventBusArn: outputs.event_bus_arn,
        reconciliationRuleArn: outputs.reconciliation_rule_arn, reconciliationQueueUrl: outputs.reconciliation_queue_url,
        stateMachineArn: outputs.state_machine_arn, tableName: outputs.messages_table_name,
        ...(outputs.workflow_type === "EXPRESS" ? { workflowType: "EXPRESS" as const } : {}),
      },
      since, until, dryRun, waitSeconds,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatReconcileSummary(summary, dryRun)}\n`);
    if (stillMissing(summary)) process.exitCode = 1;
  } catch (error) {
    if (error instanceof ReconcileBusy) throw new UsageError(error.message);
    throw error;
  }
});
