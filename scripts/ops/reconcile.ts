import { awsClients } from "../cli/aws-clients";
import { defineCli, parseTime, runCli, TIME_FORMAT, UsageError, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { RECONCILE_OUTPUTS } from "./reconcile-core";
import { deploymentRegion, OUTPUTS_OPTIONS, readOutputs, REQUIRED_OUTPUTS_OPTION, requireOutputs } from "./outputs";

/**
 * npm run reconcile -- --outputs FILE [--stack NAME] --since TIME [--until TIME] [--dry-run] [--wait-seconds N]
 *
 * Replays a window of the bus archive into the reconciliation queue (never into the workflow), checks every
 * archived event against the table, and records what is missing as redrive does (or, with --dry-run, lists it).
 * Prints the counts; exits 1 when anything is still missing, 2 on bad arguments or while another reconcile runs.
 */
const CLI = defineCli({
  command: "npm run reconcile --",
  summary:
    "Replays a window of the bus archive into the reconciliation queue (never into the workflow), checks every archived event " +
    "against the table, and records what is missing as redrive does (with --dry-run, only lists it). Prints the counts; exits 1 " +
    "when anything is still missing, 2 on bad arguments or while another reconcile of the archive runs.",
  options: {
    outputs: REQUIRED_OUTPUTS_OPTION,
    stack: OUTPUTS_OPTIONS.stack,
    since: {
      value: "TIME",
      description: `the start of the window: ${TIME_FORMAT}`,
      required: true,
      example: "24h",
      whenMissing: "e.g. --since 24h or --since 2026-11-01T00:00:00Z",
    },
    until: { value: "TIME", description: `the end of the window, in the same form`, default: "now" },
    "dry-run": { description: "list what is missing; start nothing" },
    "wait-seconds": {
      value: "N",
      description: "how long to wait for the replay, and for each execution that records a missing event",
      default: "300",
    },
  },
  examples: [
    "npm run reconcile -- --outputs outputs.json --since 24h --dry-run",
    "npm run reconcile -- --outputs outputs.json --since 2026-11-01T00:00:00Z",
  ],
});

runCli(CLI, async () => {
  const args = CLI.parse(process.argv.slice(2));
  const outputsFile = args.string("outputs")!;
  const since = parseTime("--since", args.string("since")!);
  const until = args.has("until") ? parseTime("--until", args.string("until")!) : new Date();
  if (until <= since) throw new UsageError(`--until: ${until.toISOString()} is not after --since ${since.toISOString()}`);
  const waitSeconds = args.has("wait-seconds") ? wholeNumber("--wait-seconds", args.string("wait-seconds")) : 300;
  const outputs = readOutputs(outputsFile, args.string("stack"));
  const needed = RECONCILE_OUTPUTS;
  requireOutputs(outputs, outputsFile, needed);
  const region = deploymentRegion(outputs.state_machine_arn);

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const [clients, { formatReconcileSummary, reconcile, ReconcileBusy, reconcileTargetOf, stillMissing }] = await Promise.all([
    awsClients(region, "events", "sqs", "sfn", "dynamodb"),
    import("./reconcile-core"),
  ]);
  const dryRun = args.flag("dry-run");
  const progress = new Progress("reconcile: lines");
  try {
    const summary = await reconcile({
      ...clients,
      target: reconcileTargetOf(outputs),
      since,
      until,
      dryRun,
      waitSeconds,
      log: (line) => progress.log(line),
    });
    progress.end();
    process.stdout.write(`${formatReconcileSummary(summary, dryRun)}\n`);
    if (stillMissing(summary)) process.exitCode = 1;
  } catch (error) {
    if (error instanceof ReconcileBusy) throw new UsageError(error.message);
    throw error;
  }
});
