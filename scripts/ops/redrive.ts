import { awsClients } from "../cli/aws-clients";
import { defineCli, parseTime, runCli, TIME_FORMAT, UsageError, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { deploymentRegion, OUTPUTS_OPTIONS, readOutputs } from "./outputs";
import { formatSummary, redrive, REDRIVE_SOURCES, RedriveSource, RedriveTarget } from "./redrive-core";

/**
 * npm run redrive -- --outputs <file> [--stack NAME] [--source dlq|failed|executions|all] [--since TIME]
 *                    [--max N] [--wait-seconds N] [--dry-run]
 *
 * Records what the pipeline kept: the dead-letter queue, the failed-executions queue and, with --since, the
 * execution history. The state machine, table and queues come from the stack's outputs (`cdktf deploy
 * --outputs-file <file>` or `terraform output -json > <file>`), or from the flags that name them; never from a
 * message. Region and credentials come from the standard AWS environment.
 */
const CLI = defineCli({
  command: "npm run redrive --",
  synopsis:
    "(--outputs FILE [--stack NAME] | --state-machine-arn ARN --table-name NAME [--dlq-url URL] [--failed-queue-url URL]) [--source dlq|failed|executions|all] [--since TIME] [--max N] [--wait-seconds N] [--dry-run]",
  summary:
    "Records what the pipeline kept: the dead-letter queue, the failed-executions queue and, with --since, the execution history. " +
    "Each event is looked up in the table first (recorded: the message is removed; another message under its id: kept as a conflict), " +
    "then started again and waited for. Failures a redrive cannot cure are kept with their reason. Exits 1 when anything is kept, 2 on a bad argument.",
  options: {
    outputs: OUTPUTS_OPTIONS.outputs,
    stack: OUTPUTS_OPTIONS.stack,
    "state-machine-arn": { value: "ARN", description: "the state machine, when there is no outputs file", default: "from --outputs" },
    "table-name": { value: "NAME", description: "the messages table, when there is no outputs file", default: "from --outputs" },
    "dlq-url": { value: "URL", description: "the dead-letter queue", default: "from --outputs" },
    "failed-queue-url": { value: "URL", description: "the failed-executions queue", default: "from --outputs" },
    source: {
      value: "SOURCES",
      description: "where to read: dlq, failed, executions, all, or a comma-separated list",
      default: "all with --since (dlq,failed for EXPRESS), else dlq,failed",
    },
    since: { value: "TIME", description: `how far back to read the execution history: ${TIME_FORMAT}`, example: "24h" },
    max: { value: "N", description: "at most this many messages or executions per source", default: "1000" },
    "wait-seconds": { value: "N", description: "how long to wait for each execution it starts", default: "120" },
    "dry-run": { description: "list what would be redriven; start and delete nothing" },
  },
  examples: [
    "npm run redrive -- --outputs outputs.json --dry-run",
    "npm run redrive -- --outputs outputs.json --source executions --since 24h",
  ],
});

runCli(CLI, async () => {
  const args = CLI.parse(process.argv.slice(2));
  const text = (name: string) => args.string(name);
  const fromOutputs = text("outputs") ? readOutputs(text("outputs")!, text("stack")) : {};
  const target: RedriveTarget = {
    stateMachineArn: required("state-machine-arn", text("state-machine-arn") ?? fromOutputs.state_machine_arn),
    ...(fromOutputs.workflow_type === "EXPRESS" ? { workflowType: "EXPRESS" as const } : {}),
    tableName: required("table-name", text("table-name") ?? fromOutputs.messages_table_name),
    ...optional("deadLetterQueueUrl", text("dlq-url") ?? fromOutputs.dead_letter_queue_url),
    ...optional("failedExecutionsQueueUrl", text("failed-queue-url") ?? fromOutputs.failed_executions_queue_url),
  };
  // Express executions cannot be listed (ListExecutions supports STANDARD only): their failures are in the queue.
  const express = fromOutputs.workflow_type === "EXPRESS";
  const sourceArg = text("source") ?? (text("since") && !express ? "all" : "dlq,failed");
  const sources =
    sourceArg === "all"
      ? [...REDRIVE_SOURCES]
      : sourceArg.split(",").map((s) => {
          if (!REDRIVE_SOURCES.includes(s as RedriveSource))
            throw new UsageError(`--source: "${s}" is not allowed; expected dlq, failed, executions or all`);
          return s as RedriveSource;
        });
  if (express && sources.includes("executions")) {
    throw new UsageError(
      "--source executions: the execution history of an EXPRESS workflow cannot be listed; its failures are all in the failed-executions queue (--source failed)",
    );
  }
  const since = text("since") ? parseTime("--since", text("since")!) : undefined;
  if (sources.includes("executions") && !since)
    throw new UsageError("--source executions needs --since (e.g. --since 24h or --since 2026-11-01T00:00:00Z)");
  const dryRun = args.flag("dry-run");
  const clients = await awsClients(deploymentRegion(target.stateMachineArn), "sqs", "sfn", "dynamodb");
  const progress = new Progress("redrive: messages handled");
  const summary = await redrive({
    ...clients,
    target,
    sources,
    ...(since ? { since } : {}),
    dryRun,
    maxItems: text("max") === undefined ? 1000 : wholeNumber("--max", text("max")),
    waitSeconds: text("wait-seconds") === undefined ? 120 : wholeNumber("--wait-seconds", text("wait-seconds")),
    log: (line) => progress.log(line),
  });
  progress.end();
  process.stdout.write(`${formatSummary(summary, dryRun)}\n`);
  if (summary.kept > 0 || summary.unreachable.length > 0) process.exitCode = 1;
});

function required(flag: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${flag} is required (or --outputs with the stack's outputs)`);
  return value;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
