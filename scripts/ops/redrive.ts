import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { parseArgs, parseTime, runCli, UsageError, wholeNumber } from "./args";
import { deploymentRegion, readOutputs } from "./outputs";
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
const USAGE =
  "usage: npm run redrive -- (--outputs FILE [--stack NAME] | --state-machine-arn ARN --table-name NAME [--dlq-url URL] [--failed-queue-url URL]) [--source dlq|failed|executions|all] [--since TIME] [--max N] [--wait-seconds N] [--dry-run]";

runCli(USAGE, async () => {
  const args = parseArgs(
    process.argv.slice(2),
    [
      "--outputs",
      "--stack",
      "--state-machine-arn",
      "--table-name",
      "--dlq-url",
      "--failed-queue-url",
      "--source",
      "--since",
      "--max",
      "--wait-seconds",
    ],
    ["--dry-run"],
  );
  const text = (name: string) => (typeof args[name] === "string" ? args[name] : undefined);
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
  const since = text("since") ? parseTime("since", text("since")!) : undefined;
  if (sources.includes("executions") && !since)
    throw new UsageError("--source executions needs --since (e.g. --since 24h or --since 2026-11-01T00:00:00Z)");
  const dryRun = args["dry-run"] === true;
  const config = { region: deploymentRegion(target.stateMachineArn) };
  const summary = await redrive({
    sqs: new SQSClient(config),
    sfn: new SFNClient(config),
    dynamodb: new DynamoDBClient(config),
    target,
    sources,
    ...(since ? { since } : {}),
    dryRun,
    maxItems: text("max") === undefined ? 1000 : wholeNumber("--max", text("max")),
    waitSeconds: text("wait-seconds") === undefined ? 120 : wholeNumber("--wait-seconds", text("wait-seconds")),
    log: (line) => process.stdout.write(`${line}\n`),
  });
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
