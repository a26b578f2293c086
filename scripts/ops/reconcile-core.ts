import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeReplayCommand, EventBridgeClient, ListReplaysCommand, StartReplayCommand } from "@aws-sdk/client-eventbridge";
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { reconcileReplayPrefix } from "../../stacks/names";
import type { WorkflowType } from "../../stacks/workflow-model";
import { emptySummary, recordEvent, RedriveOptions, RedriveSummary } from "./redrive-core";

/**
 * Was every archived event recorded? Replays a window of the bus archive to the reconciliation rule only
 * (StartReplay's FilterArns), whose queue takes the replayed events and starts nothing; then checks each against
 * the table (by its record key: the idempotency key's record, or its id) and records what is missing as redrive
 * does (an execution with the event as input, waited for), or with --dry-run only lists it. One run at a time:
 * a second refuses while a replay of this archive runs. It deletes only the messages of its own replay.
 */
export interface ReconcileTarget {
  readonly archiveArn: string;
  readonly archiveName: string;
  readonly eventBusArn: string;
  readonly reconciliationRuleArn: string;
  readonly reconciliationQueueUrl: string;
  readonly stateMachineArn: string;
  readonly workflowType?: WorkflowType;
  readonly tableName: string;
}

/** The outputs reconcile reads, by their names in `terraform output`. */
export const RECONCILE_OUTPUTS = [
  "event_archive_arn",
  "event_archive_name",
  "event_bus_arn",
  "reconciliation_rule_arn",
  "reconciliation_queue_url",
  "state_machine_arn",
  "messages_table_name",
] as const;

/** What to reconcile, from a deployment's outputs (RECONCILE_OUTPUTS, and workflow_type when there is one). */
export function reconcileTargetOf(outputs: Readonly<Record<string, string>>): ReconcileTarget {
  return {
    archiveArn: outputs.event_archive_arn,
    archiveName: outputs.event_archive_name,
    eventBusArn: outputs.event_bus_arn,
    reconciliationRuleArn: outputs.reconciliation_rule_arn,
    reconciliationQueueUrl: outputs.reconciliation_queue_url,
    stateMachineArn: outputs.state_machine_arn,
    tableName: outputs.messages_table_name,
    ...(outputs.workflow_type === "EXPRESS" ? { workflowType: "EXPRESS" as const } : {}),
  };
}

export interface ReconcileOptions {
  readonly events: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly target: ReconcileTarget;
  readonly since: Date;
  readonly until: Date;
  readonly dryRun: boolean;
  /** How long to wait for the replay, and for each execution that records a missing event. */
  readonly waitSeconds: number;
  /** Between two DescribeReplay calls, and two empty receives. @default 1000 */
  readonly pollMs?: number;
  readonly log: (line: string) => void;
}

export interface ReconcileSummary extends RedriveSummary {
  readonly replayName: string;
  /** Events of the window the archive replayed to the queue. */
  archived: number;
}

/** Another reconcile of the same archive is running: its replay would mix with this one's. */
export class ReconcileBusy extends Error {
  constructor(replayName: string) {
    super(`another reconcile is running (replay ${replayName}); wait for it to end, then run again`);
    this.name = "ReconcileBusy";
  }
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { target } = options;
  const pollMs = options.pollMs ?? 1000;
  const prefix = reconcileReplayPrefix(target.archiveName);
  for (const state of ["STARTING", "RUNNING"] as const) {
    const { Replays = [] } = await options.events.send(new ListReplaysCommand({ NamePrefix: prefix, State: state }));
    if (Replays[0]) throw new ReconcileBusy(String(Replays[0].ReplayName));
  }
  const replayName = `${prefix}${Date.now().toString(36)}`;
  await options.events.send(
    new StartReplayCommand({
      ReplayName: replayName,
      EventSourceArn: target.archiveArn,
      EventStartTime: options.since,
      EventEndTime: options.until,
      Destination: { Arn: target.eventBusArn, FilterArns: [target.reconciliationRuleArn] },
    }),
  );
  const started = Date.now();
  let lastReport = started;
  options.log(`replay ${replayName}: ${options.since.toISOString()} to ${options.until.toISOString()}`);
  for (;;) {
    const { State, StateReason } = await options.events.send(new DescribeReplayCommand({ ReplayName: replayName }));
    if (State === "COMPLETED") break;
    if (State === "FAILED" || State === "CANCELLED")
      throw new Error(`replay ${replayName} ended ${State}${StateReason ? `: ${StateReason}` : ""}`);
    if (Date.now() - started > options.waitSeconds * 1000)
      throw new Error(
        `replay ${replayName} still ${State} after ${options.waitSeconds} s; run again later (it goes on, and the next run waits for it)`,
      );
    if (Date.now() - lastReport >= 5000) {
      options.log(`replay ${replayName}: ${State} after ${Math.round((Date.now() - started) / 1000)} s`);
      lastReport = Date.now();
    }
    await sleep(pollMs);
  }

  const summary: ReconcileSummary = { ...emptySummary(), replayName, archived: 0 };
  const redriveOptions: RedriveOptions = {
    sqs: options.sqs,
    sfn: options.sfn,
    dynamodb: options.dynamodb,
    target: {
      stateMachineArn: target.stateMachineArn,
      tableName: target.tableName,
      ...(target.workflowType ? { workflowType: target.workflowType } : {}),
    },
    sources: [],
    dryRun: options.dryRun,
    maxItems: Number.MAX_SAFE_INTEGER,
    waitSeconds: options.waitSeconds,
    pollMs,
    log: options.log,
  };
  const seen = new Set<string>();
  // The replayed events reach the queue shortly after the replay completes: read until two rounds bring nothing new.
  for (let quiet = 0; quiet < 2;) {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.reconciliationQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 1,
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) {
      quiet++;
      await sleep(pollMs);
      continue;
    }
    quiet = 0;
    for (const message of fresh) {
      seen.add(message.MessageId!);
      const event = JSON.parse(message.Body ?? "{}") as Record<string, unknown>;
      if (event["replay-name"] !== replayName) {
        // Another run's replay: not ours to delete. Given back at once.
        await options.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: target.reconciliationQueueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
        continue;
      }
      summary.archived++;
      const { "replay-name": _replay, ...original } = event;
      await recordEvent(JSON.stringify(original), `archived event ${String(original.id)}`, redriveOptions, summary);
      // The archive still holds the event: the message was only this run's copy.
      await options.sqs.send(new DeleteMessageCommand({ QueueUrl: target.reconciliationQueueUrl, ReceiptHandle: message.ReceiptHandle }));
      if (summary.archived % 100 === 0) options.log(`checked ${summary.archived} archived events`);
    }
  }
  return summary;
}

/** The counts for people: what the archive held, what the table already had, what was recorded now, and what is kept, why. */
export function formatReconcileSummary(summary: ReconcileSummary, dryRun: boolean): string {
  const reasons = Object.entries(summary.keptReasons)
    .map(([reason, n]) => `${n} × ${reason}`)
    .join("; ");
  const counts = dryRun
    ? `archived in the window ${summary.archived}, recorded ${summary.alreadyRecorded}, missing ${summary.wouldRedrive} (dry run: nothing started), kept ${summary.kept}`
    : `archived in the window ${summary.archived}, recorded ${summary.alreadyRecorded}, recorded now ${summary.recorded}, kept ${summary.kept}`;
  return reasons ? `${counts} (${reasons})` : counts;
}

/** Whether anything is still missing from the table: the exit code says it. */
export function stillMissing(summary: ReconcileSummary): boolean {
  return summary.wouldRedrive > 0 || summary.kept > 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
