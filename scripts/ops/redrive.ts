import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { parseArgs, runCli, UsageError } from "./args";
import { redrive } from "./redrive-core";

/**
 * npm run redrive -- --queue-url URL [--state-machine-arn ARN] [--max N] [--dry-run]
 *
 * Re-delivers dead-lettered events to the state machine and deletes each only once that succeeded. The queue
 * URL is the stack output dead_letter_queue_url. Region and credentials come from the standard AWS environment.
 */
const USAGE = "usage: npm run redrive -- --queue-url URL [--state-machine-arn ARN] [--max N] [--dry-run]";

runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), ["--queue-url", "--state-machine-arn", "--max"], ["--dry-run"]);
  if (typeof args["queue-url"] !== "string") throw new UsageError("--queue-url is required (the stack output dead_letter_queue_url)");
  const max = args.max === undefined ? 1000 : Number(args.max);
  if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive whole number, got ${String(args.max)}`);
  const dryRun = args["dry-run"] === true;
  const counts = await redrive({
    sqs: new SQSClient({}),
    sfn: new SFNClient({}),
    queueUrl: args["queue-url"],
    ...(typeof args["state-machine-arn"] === "string" ? { stateMachineArn: args["state-machine-arn"] } : {}),
    dryRun,
    maxMessages: max,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${dryRun ? "dry run: " : ""}received ${counts.received}, redriven ${counts.redriven}, deleted ${counts.deleted}, kept ${counts.failed}\n`);
  if (counts.failed > 0) process.exitCode = 1;
});
