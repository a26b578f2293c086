import { createHash } from "node:crypto";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { InvalidRecordError, parseRecord, recordIdOf } from "../../lambdas/recorder/record";
import { recorderPayloadOf } from "../../stacks/asl";
import {
  DescribeExecutionCommand,
  ExecutionStatus,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { WorkflowType } from "../../stacks/workflow-model";
import { at, textOf } from "../json-value";

/**
 * Records what the pipeline kept for an operator, and deletes a kept message only once its event is recorded.
 *
 * Sources: the dead-letter queue (events EventBridge could not deliver: the body is the event), the
 * failed-executions queue (status-change events: the event is the execution's input), and the execution
 * history itself (ListExecutions of FAILED, TIMED_OUT and ABORTED executions since a time: the authority, since
 * status-change events are delivered on a best-effort basis).
 *
 * For each event: if the table already holds it, it is done. Otherwise it is started again, with the original
 * event as input (so the messageId and the idempotent write are kept), under a name derived from a hash of the
 * event id, and redrive waits for the execution to end. A message is deleted only when that execution
 * SUCCEEDED or the item is in the table; otherwise it stays, and the summary says why. A name already taken by
 * an earlier redrive is resolved by looking at that execution and the table: running, it is waited for;
 * succeeded, done; failed, the next attempt gets the next name. The state machine and table come from the
 * stack's outputs or flags, never from the message. An error on one message never stops the run.
 */
export type RedriveSource = "dlq" | "failed" | "executions";
export const REDRIVE_SOURCES: readonly RedriveSource[] = ["dlq", "failed", "executions"];

export interface RedriveTarget {
  readonly stateMachineArn: string;
  /**
   * EXPRESS executions cannot be described or listed and their names are not unique: each event is started
   * with StartSyncExecution, which answers how it ended. @default "STANDARD"
   */
  readonly workflowType?: WorkflowType;
  readonly tableName: string;
  readonly deadLetterQueueUrl?: string;
  readonly failedExecutionsQueueUrl?: string;
}

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly target: RedriveTarget;
  readonly sources: readonly RedriveSource[];
  /** Required by the `executions` source: only executions started at or after it. */
  readonly since?: Date;
  readonly dryRun: boolean;
  /** Stop after this many messages or executions per source. */
  readonly maxItems: number;
  /** How long to wait for one redriven execution to end before keeping its message. */
  readonly waitSeconds: number;
  /** Between two DescribeExecution calls while waiting. @default 1000 */
  readonly pollMs?: number;
  readonly log: (line: string) => void;
}

export interface RedriveSummary {
  /** Events whose redriven execution recorded them. */
  recorded: number;
  /** Events the table already held (recorded by an earlier delivery or redrive). */
  alreadyRecorded: number;
  /** Messages (or executions) left where they were, by reason. */
  kept: number;
  readonly keptReasons: Record<string, number>;
  /** Sources that could not be read at all (their key, their permissions), with why: not counted as messages. */
  readonly unreachable: string[];
  /** Dry run: events that would be started. */
  wouldRedrive: number;
}

const VISIBILITY_TIMEOUT_SECONDS = 300;
/** A dry run holds what it has listed this long, so the next receive brings new messages, then releases them. */
const DRY_RUN_VISIBILITY_SECONDS = 60;
/**
 * Errors a redrive cannot cure: the recorder refused the record itself (not a transient fault), or the event is
 * too large for the workflow's 256 KiB payloads, so running it again would end the same way. Kept with their
 * cause, never re-run.
 */
export const PERMANENT_ERRORS = ["InvalidRecord", "MessageConflict", "States.DataLimitExceeded"] as const;
const UNSUCCESSFUL: ExecutionStatus[] = ["FAILED", "TIMED_OUT", "ABORTED"];

interface KeptItem {
  /** The event as it was published, as JSON text. */
  readonly input?: string;
  readonly eventId?: string;
  /** The capture of an execution that a redrive started. */
  readonly fromRedrive?: boolean;
  /** Why there is no event to redrive. */
  readonly problem?: string;
  /** The captured failure was one a redrive cannot cure (PERMANENT_ERRORS), with the recorder's reason. */
  readonly permanent?: { readonly error: string; readonly reason: string };
}

export async function redrive(options: RedriveOptions): Promise<RedriveSummary> {
  const summary = emptySummary();
  /** What became of each event this run, so a second copy of it (or the capture of a failed redrive) is not redriven again. */
  const handled = new Map<string, "done" | "kept">();
  const queues: Array<[RedriveSource, string | undefined]> = [
    ["dlq", options.target.deadLetterQueueUrl],
    ["failed", options.target.failedExecutionsQueueUrl],
  ];
  for (const [source, queueUrl] of queues) {
    if (!options.sources.includes(source)) continue;
    if (!queueUrl) throw new Error(`no queue URL for source ${source}: give the stack outputs or the queue URL`);
    // A source that cannot be read (its key, its permissions) is reported and the others are still redriven.
    await reachable(`${source} queue`, summary, options, () => redriveQueue(source, queueUrl, options, summary, handled));
  }
  if (options.sources.includes("executions")) {
    if (options.target.workflowType === "EXPRESS")
      throw new Error("the execution history of an EXPRESS workflow cannot be listed; its failures are in the failed-executions queue");
    if (!options.since) throw new Error("the executions source needs --since");
    await reachable("execution history", summary, options, () => redriveHistory(options, summary, handled));
  }
  return summary;
}

async function redriveQueue(
  source: RedriveSource,
  queueUrl: string,
  options: RedriveOptions,
  summary: RedriveSummary,
  handled: Map<string, "done" | "kept">,
): Promise<void> {
  const seen = new Set<string>();
  const listed: Message[] = [];
  try {
    await readQueue(source, queueUrl, options, summary, handled, seen, listed);
  } finally {
    // A dry run gives back at once what it held to page through the queue: other readers see it all again.
    for (const message of listed) {
      await options.sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }))
        .catch(() => undefined);
    }
  }
  const left = await options.sqs
    .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }))
    .catch(() => undefined);
  const waiting = Number(left?.Attributes?.ApproximateNumberOfMessages ?? 0);
  if (seen.size >= options.maxItems && waiting > 0)
    options.log(`${source} queue: --max ${options.maxItems} reached; about ${waiting} more message(s) wait for the next run`);
}

async function readQueue(
  source: RedriveSource,
  queueUrl: string,
  options: RedriveOptions,
  summary: RedriveSummary,
  handled: Map<string, "done" | "kept">,
  seen: Set<string>,
  listed: Message[],
): Promise<void> {
  while (seen.size < options.maxItems) {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, options.maxItems - seen.size),
        // A real run keeps a message to itself while it works on it; a dry run only long enough to page through.
        VisibilityTimeout: options.dryRun ? DRY_RUN_VISIBILITY_SECONDS : VISIBILITY_TIMEOUT_SECONDS,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    if (options.dryRun) listed.push(...fresh);
    for (const message of fresh) {
      seen.add(message.MessageId!);
      const label = `${source} message ${message.MessageId}`;
      await guarded(label, summary, options, async () => {
        const item = await keptItemOf(message, options.sfn);
        const earlier = item.eventId ? handled.get(item.eventId) : undefined;
        let outcome: "done" | "kept" | "echo";
        if (earlier === undefined) {
          outcome = await redriveItem(item, label, options, summary);
          if (item.eventId) handled.set(item.eventId, outcome);
        } else {
          // The same event again in this run: recorded already, or the capture of this run's own failed redrive,
          // which the message kept for the event already stands for.
          outcome = earlier === "done" ? "done" : item.fromRedrive ? "echo" : "kept";
          if (outcome === "kept") return;
          options.log(
            `${label}: event ${item.eventId} was ${earlier === "done" ? "recorded" : "kept"} earlier in this run; this copy is removed`,
          );
        }
        if (outcome !== "kept" && !options.dryRun) {
          try {
            await options.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
          } catch (error) {
            keep(
              summary,
              options,
              label,
              `recorded, but the message could not be deleted (${describe(error)}); the next redrive finds it recorded`,
            );
          }
        }
      });
    }
  }
}

async function redriveHistory(options: RedriveOptions, summary: RedriveSummary, handled: Map<string, "done" | "kept">): Promise<void> {
  if (!options.since) throw new Error("the executions source needs --since");
  let count = 0;
  for (const status of UNSUCCESSFUL) {
    let nextToken: string | undefined;
    do {
      const page = await options.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: options.target.stateMachineArn, statusFilter: status, maxResults: 100, nextToken }),
      );
      nextToken = page.nextToken;
      for (const execution of page.executions ?? []) {
        // Newest first: the rest of this status is older than the window.
        if (execution.startDate && execution.startDate < options.since) {
          nextToken = undefined;
          break;
        }
        if (count++ >= options.maxItems) return;
        const label = `execution ${execution.name}`;
        await guarded(label, summary, options, async () => {
          const described = await options.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
          const item = itemFromInput(described.input);
          // One event, one redrive per run, however many failed executions (and queue messages) it left.
          if (!item.eventId || handled.has(item.eventId)) {
            if (!item.eventId) keep(summary, options, label, item.problem ?? "no event to redrive");
            return;
          }
          handled.set(item.eventId, await redriveItem(item, label, options, summary));
        });
      }
    } while (nextToken);
  }
}

/**
 * Records one event as redrive does (npm run reconcile's missing events): the table first (recorded, or another
 * message under its key: a conflict, kept), then an execution with the event as input, waited for.
 */
export async function recordEvent(
  input: string,
  label: string,
  options: RedriveOptions,
  summary: RedriveSummary,
): Promise<"done" | "kept"> {
  let outcome: "done" | "kept" = "kept";
  // As redrive does: an AWS error on one event keeps that event (the archive still holds it) and the run goes on.
  await guarded(label, summary, options, async () => {
    outcome = await redriveItem(itemFromInput(input), label, options, summary);
  });
  return outcome;
}

/** A summary with nothing counted yet. */
export function emptySummary(): RedriveSummary {
  return { recorded: 0, alreadyRecorded: 0, kept: 0, keptReasons: {}, wouldRedrive: 0, unreachable: [] };
}

/** "done" when the event is recorded (now or before); "kept" otherwise, with the reason counted. */
async function redriveItem(item: KeptItem, label: string, options: RedriveOptions, summary: RedriveSummary): Promise<"done" | "kept"> {
  if (!item.input || !item.eventId) {
    keep(summary, options, label, item.problem ?? "no event to redrive");
    return "kept";
  }
  if (item.permanent) {
    // The recorder refused the record itself: running it again would end the same way.
    keep(summary, options, label, `${item.permanent.error}, not redriven: ${item.permanent.reason}`, recordKeyOf(item));
    return "kept";
  }
  const invalid = invalidRecordReason(item.input, options.target.workflowType ?? "STANDARD");
  if (invalid) {
    // The recorder would refuse it again (an impossible date, a message that is not JSON): an execution would
    // only fail once more and, in STANDARD, leave one more capture in the failed-executions queue.
    keep(summary, options, label, `InvalidRecord, not redriven: ${invalid}`, recordKeyOf(item));
    return "kept";
  }
  const stored = await storedState(item, options);
  if (stored === "other") {
    keep(summary, options, label, `MessageConflict, not redriven: ${item.eventId} is already recorded with another message`, item.eventId);
    return "kept";
  }
  if (stored === "same") {
    summary.alreadyRecorded++;
    options.log(`${label}: event ${item.eventId} is already recorded`);
    return "done";
  }
  if (options.dryRun) {
    summary.wouldRedrive++;
    options.log(`${label}: would redrive event ${item.eventId} as ${executionName(item.eventId)}`);
    return "kept";
  }
  if (options.target.workflowType === "EXPRESS")
    return redriveExpress(item as Required<Pick<KeptItem, "input" | "eventId">>, label, options, summary);
  const base = executionName(item.eventId);
  // No cap: an event whose earlier redrives failed gets the next free name, however many there were.
  for (let attempt = 1; ; attempt++) {
    const name = attempt === 1 ? base : `${base}-${attempt}`;
    const status = await runExecution(name, item.input, options);
    if (status === "SUCCEEDED" || (await isRecorded(recordKeyOf(item), options))) {
      summary.recorded++;
      options.log(`${label}: event ${item.eventId} recorded by ${name}`);
      return "done";
    }
    if (status === "RUNNING") {
      keep(summary, options, label, `execution still running after ${options.waitSeconds} s`);
      return "kept";
    }
    if (status.fresh) {
      keep(summary, options, label, `redrive ended ${status.status}${status.error ? ` (${status.error})` : ""}`);
      return "kept";
    }
    // An earlier redrive of this event under this name failed: the next attempt gets the next name.
  }
}

/** One synchronous execution per event: done when it SUCCEEDED or the table holds the item. */
async function redriveExpress(
  item: { input: string; eventId: string },
  label: string,
  options: RedriveOptions,
  summary: RedriveSummary,
): Promise<"done" | "kept"> {
  const name = executionName(item.eventId);
  const result = await options.sfn.send(
    new StartSyncExecutionCommand({ stateMachineArn: options.target.stateMachineArn, name, input: item.input }),
  );
  if (result.status === "SUCCEEDED" || (await isRecorded(recordKeyOf(item), options))) {
    summary.recorded++;
    options.log(`${label}: event ${item.eventId} recorded by ${name}`);
    return "done";
  }
  keep(summary, options, label, `redrive ended ${result.status}${result.error ? ` (${result.error})` : ""}`);
  return "kept";
}

type RunOutcome = "SUCCEEDED" | "RUNNING" | { readonly status: ExecutionStatus; readonly error?: string; readonly fresh: boolean };

/** Starts the execution, or finds the one that holds the name, and waits for it to end. */
async function runExecution(name: string, input: string, options: RedriveOptions): Promise<RunOutcome> {
  const executionArn = `${options.target.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  let fresh = true;
  try {
    await options.sfn.send(new StartExecutionCommand({ stateMachineArn: options.target.stateMachineArn, name, input }));
  } catch (error) {
    if ((error as Error).name !== "ExecutionAlreadyExists") throw error;
    fresh = false;
  }
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    const described = await options.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status === "SUCCEEDED") return "SUCCEEDED";
    if (described.status !== "RUNNING") {
      return { status: described.status!, ...(described.error ? { error: described.error } : {}), fresh };
    }
    if (Date.now() >= deadline) return "RUNNING";
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}

/**
 * Whether the table holds this event's message: the same bytes ("same"), another message under its id ("other":
 * a conflict, which deleting the kept copy would lose), or nothing.
 */
async function storedState(item: KeptItem, options: RedriveOptions): Promise<"same" | "other" | "absent"> {
  const { Item } = await options.dynamodb.send(
    new GetItemCommand({
      TableName: options.target.tableName,
      Key: { messageId: { S: recordKeyOf(item) } },
      ConsistentRead: true,
      ProjectionExpression: "messageId, event",
    }),
  );
  if (!Item) return "absent";
  const message = messageOf(item.input!);
  return message === undefined || Item.event?.S === message ? "same" : "other";
}

/** The table key the event is recorded under: its idempotency key's record, or its id (recordIdOf). */
function recordKeyOf(item: KeptItem): string {
  try {
    return recordIdOf(JSON.parse(item.input!) as { id?: unknown; detail?: unknown }) ?? item.eventId!;
  } catch {
    return item.eventId!;
  }
}

/** The event's detail.message as published, when it has one. */
function messageOf(input: string): string | undefined {
  try {
    const message = (JSON.parse(input) as { detail?: { message?: unknown } }).detail?.message;
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}

async function isRecorded(messageId: string, options: RedriveOptions): Promise<boolean> {
  const { Item } = await options.dynamodb.send(
    new GetItemCommand({
      TableName: options.target.tableName,
      Key: { messageId: { S: messageId } },
      ConsistentRead: true,
      ProjectionExpression: "messageId",
    }),
  );
  return Item !== undefined;
}

/** The original event of a kept message: the body itself (DLQ), or the execution's input (status change). */
async function keptItemOf(message: Message, sfn: SFNClient): Promise<KeptItem> {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    return { problem: "the body is not JSON" };
  }
  const detail = at(body, "detail");
  if (at(body, "source") === "aws.states" && typeof detail === "object" && detail !== null) {
    const fromRedrive = textOf(at(detail, "name") ?? "").startsWith(REDRIVE_PREFIX);
    const permanent = permanentFailureOf({ error: at(detail, "error"), cause: at(detail, "cause") });
    // An EXPRESS workflow whose input was too large for the queue sent the event's id only.
    const dropped = at(detail, "dropped");
    if (dropped) {
      return {
        problem: `the input of event ${textOf(at(dropped, "id"))} was too large for the queue and was dropped; npm run reconcile records it from the archive`,
      };
    }
    // Status-change events carry the input unless it was too large for the event; then it is read back.
    const extra = { fromRedrive, ...(permanent ? { permanent } : {}) };
    const input = at(detail, "input");
    if (typeof input === "string" && at(detail, "inputDetails", "included") !== false) return { ...itemFromInput(input), ...extra };
    // What an EXPRESS workflow sends for itself carries the input as JSON.
    if (typeof input === "object" && input !== null) return { ...itemFromInput(JSON.stringify(input)), ...extra };
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: textOf(at(detail, "executionArn")) }));
    return { ...itemFromInput(described.input), ...extra };
  }
  // A dead-lettered event StartExecution refused for its size can never be started.
  const refusal = message.MessageAttributes?.ERROR_MESSAGE?.StringValue;
  if (refusal && /Member must have length less than or equal to/.test(refusal)) {
    return { problem: `the event is over Step Functions' 256 KiB input and can never start an execution (${refusal.split(" (")[0]})` };
  }
  return itemFromInput(message.Body);
}

/**
 * A failure a redrive cannot cure (PERMANENT_ERRORS) in a captured failure, with its reason: the error itself
 * (STANDARD: SendTaskFailure's error; States.DataLimitExceeded), or the recorder's answer an EXPRESS workflow
 * keeps as RecordMessageFailed with the answer as its cause.
 */
export function permanentFailureOf(detail: {
  error?: unknown;
  cause?: unknown;
}): { readonly error: string; readonly reason: string } | undefined {
  let cause: { message?: unknown; error?: unknown; Payload?: { error?: unknown; message?: unknown } } | undefined;
  try {
    cause = JSON.parse(textOf(detail.cause ?? "")) as typeof cause;
  } catch {
    // Not JSON. (Offline, aws-local-stepfunctions 3.0.0's States.JsonToString leaves quotes inside strings
    // unescaped; Step Functions writes valid JSON.) The recorder's answer is still read from its fields.
    const text = textOf(detail.cause ?? "");
    const error = /"error":"([A-Za-z.]+)"/.exec(text)?.[1];
    const message = /"message":"(.*?)","messageId"/.exec(text)?.[1];
    cause = error ? { Payload: { error, ...(message !== undefined ? { message } : {}) } } : undefined;
  }
  const isPermanent = (error: unknown): error is (typeof PERMANENT_ERRORS)[number] =>
    PERMANENT_ERRORS.includes(error as (typeof PERMANENT_ERRORS)[number]);
  if (isPermanent(detail.error)) return { error: detail.error, reason: textOf(cause?.message ?? detail.cause ?? "") };
  if (detail.error === "RecordMessageFailed" && isPermanent(cause?.Payload?.error))
    return { error: cause.Payload.error, reason: textOf(cause?.Payload?.message ?? "") };
  return undefined;
}

/** Why the recorder would refuse the event as the workflow passes it, or undefined when it would accept it. */
function invalidRecordReason(input: string, workflowType: WorkflowType): string | undefined {
  try {
    parseRecord(recorderPayloadOf(workflowType, JSON.parse(input)));
    return undefined;
  } catch (error) {
    if (error instanceof InvalidRecordError) return error.message;
    throw error;
  }
}

function itemFromInput(input: string | undefined): KeptItem {
  let event: { id?: unknown };
  try {
    event = JSON.parse(input ?? "") as { id?: unknown };
  } catch {
    return { problem: "the event is not JSON" };
  }
  if (typeof event.id !== "string" || event.id === "") return { problem: "the event has no id" };
  return { input: input!, eventId: event.id };
}

/** A whole source: one that cannot be read is reported on its own line, not counted as a kept message. */
async function reachable(source: string, summary: RedriveSummary, options: RedriveOptions, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    summary.unreachable.push(`${source}: ${describe(error)}`);
    options.log(`${source}: cannot be read: ${describe(error)}`);
  }
}

async function guarded(label: string, summary: RedriveSummary, options: RedriveOptions, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    keep(summary, options, label, describe(error));
  }
}

function keep(summary: RedriveSummary, options: RedriveOptions, label: string, reason: string, eventId?: string): void {
  summary.kept++;
  // One line per kind of reason in the summary: ids and sizes vary from message to message.
  const key = (eventId ? reason.split(eventId).join("<id>") : reason)
    .replace(/\b[0-9a-f]{8}-[0-9a-f-]{27}\b/g, "<id>")
    .replace(/\b\d+ bytes\b/g, "N bytes");
  summary.keptReasons[key] = (summary.keptReasons[key] ?? 0) + 1;
  options.log(`${label}: kept: ${reason}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * An execution name for an event: unique per event id and valid (letters, digits, '-' and '_', at most 80
 * characters). The readable prefix keeps what the id allows; the hash of the whole id makes ids that differ
 * only in other characters (or beyond the prefix) get different names.
 */
export function executionName(eventId: string): string {
  // 8 + 24 + 1 + 32 = 65 characters: 15 left for `-<attempt>`, so attempts never run out of valid names.
  const readable = eventId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24);
  const hash = createHash("sha256").update(eventId, "utf8").digest("hex").slice(0, 32);
  return `${REDRIVE_PREFIX}${readable}-${hash}`;
}

const REDRIVE_PREFIX = "redrive-";

/** A one-line summary for people. */
export function formatSummary(summary: RedriveSummary, dryRun: boolean): string {
  const reasons = Object.entries(summary.keptReasons)
    .map(([reason, n]) => `${n} × ${reason}`)
    .join("; ");
  const counts = dryRun
    ? `dry run: would redrive ${summary.wouldRedrive}, already recorded ${summary.alreadyRecorded}, kept ${summary.kept} message(s)`
    : `recorded ${summary.recorded}, already recorded ${summary.alreadyRecorded}, kept ${summary.kept} message(s)`;
  const line = reasons ? `${counts} (${reasons})` : counts;
  return summary.unreachable.length > 0 ? `${line}\nunreachable: ${summary.unreachable.join("; ")}` : line;
}
