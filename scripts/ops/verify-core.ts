import { randomUUID } from "node:crypto";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { WorkflowType } from "../../stacks/workflow-model";

/**
 * Checks a deployed environment hop by hop, with the operator's own credentials (the operator policy): one message
 * through `POST /messages` and one through PutEvents, each marked `"verify": "<run id>"`; both must reach the table
 * and end in a succeeded execution whose lines reach the state machine's log group; both queues must be readable;
 * no alarm may be in ALARM. Each hop prints one line: PASS, SKIP (with why), or FAIL with the likely cause and the
 * documentation page to read. What it leaves behind: two items in the table, ids printed, marked with the run id.
 */
export interface VerifyTarget {
  readonly messagesApiUrl: string;
  readonly eventBusName: string;
  readonly eventSource: string;
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  readonly tableName: string;
  readonly logGroupName: string;
  readonly deadLetterQueueUrl: string;
  readonly failedExecutionsQueueUrl: string;
  readonly alarmNamePrefix: string;
}

export interface VerifyOptions {
  readonly target: VerifyTarget;
  readonly clients: {
    readonly events: EventBridgeClient;
    readonly dynamodb: DynamoDBClient;
    readonly sfn: SFNClient;
    readonly logs: CloudWatchLogsClient;
    readonly sqs: SQSClient;
    readonly cloudwatch: CloudWatchClient;
  };
  /** Sends `POST /messages` with the body, signed; answers the status and the parsed body. */
  readonly postMessage: (url: string, body: string) => Promise<{ status: number; body: unknown }>;
  /** How long to wait for the messages to be recorded and logged. */
  readonly timeoutSeconds: number;
  readonly pollMs?: number;
  readonly log: (line: string) => void;
  /** The marker of this run. @default a random UUID */
  readonly runId?: string;
}

export interface HopResult {
  readonly hop: string;
  readonly outcome: "PASS" | "SKIP" | "FAIL";
  readonly detail: string;
}

/** Where the operator policy, which every operator command needs, is described. */
const OPERATOR_POLICY_DOC = "docs/deploying.md (3. Check the deployment: the operator policy)";

/** The documentation page each hop's failure points to. */
const DOCS = {
  api: `docs/security.md (the API role's trust policy) and ${OPERATOR_POLICY_DOC}`,
  putEvents: OPERATOR_POLICY_DOC,
  recorded: "docs/failure-handling.md; then npm run redrive",
  executions: "docs/failure-handling.md",
  logs: "docs/security.md (the key's log delivery statements)",
  queues: `docs/security.md (the key policy) and ${OPERATOR_POLICY_DOC}`,
  alarms: "docs/operating.md (Alarms)",
} as const;

export async function verify(options: VerifyOptions): Promise<HopResult[]> {
  const { target, clients } = options;
  const runId = options.runId ?? randomUUID();
  const started = Date.now();
  const deadline = started + options.timeoutSeconds * 1000;
  const pollMs = options.pollMs ?? 2000;
  const results: HopResult[] = [];
  const report = (hop: string, outcome: HopResult["outcome"], detail: string, readme?: string) => {
    const result = { hop, outcome, detail: outcome === "FAIL" && readme ? `${detail}; see ${readme}` : detail };
    results.push(result);
    options.log(`${outcome} ${hop}: ${result.detail}`);
  };
  const message = (via: string) => JSON.stringify({ verify: runId, via });
  const ids: Record<string, string> = {};

  // 1. POST /messages, signed with the operator's credentials.
  try {
    const answer = await options.postMessage(target.messagesApiUrl, JSON.stringify({ message: message("api") }));
    const eventId = (answer.body as { eventId?: string } | undefined)?.eventId;
    if (answer.status === 200 && eventId) {
      ids.api = eventId;
      report("api", "PASS", `POST /messages accepted event ${eventId}`);
    } else {
      report(
        "api",
        "FAIL",
        `POST /messages answered ${answer.status} ${JSON.stringify(answer.body)}; likely cause: ${answer.status === 403 ? "the caller lacks execute-api:Invoke (attach the operator policy)" : "the API's role cannot assume or put events"}`,
        DOCS.api,
      );
    }
  } catch (error) {
    report("api", "FAIL", `POST /messages could not be sent: ${(error as Error).message}`, DOCS.api);
  }

  // 2. PutEvents with the configured source.
  try {
    const response = await clients.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: target.eventBusName,
            Source: target.eventSource,
            DetailType: "message",
            Detail: JSON.stringify({ message: message("put-events") }),
          },
        ],
      }),
    );
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) === 0 && entry?.EventId) {
      ids.putEvents = entry.EventId;
      report("put-events", "PASS", `PutEvents accepted event ${entry.EventId} on ${target.eventBusName}`);
    } else {
      report(
        "put-events",
        "FAIL",
        `PutEvents refused the entry: ${entry?.ErrorCode ?? "unknown"} ${entry?.ErrorMessage ?? ""}`.trim(),
        DOCS.putEvents,
      );
    }
  } catch (error) {
    report("put-events", "FAIL", `PutEvents failed: ${errorLine(error)}`, DOCS.putEvents);
  }

  const published = Object.entries(ids);
  if (published.length === 0) {
    for (const hop of ["recorded", "executions", "logs"]) report(hop, "SKIP", "nothing was published");
  } else {
    // 3. Both in the table.
    const missing = new Set(published.map(([, id]) => id));
    while (missing.size > 0 && Date.now() < deadline) {
      for (const id of [...missing]) {
        const item = await clients.dynamodb
          .send(new GetItemCommand({ TableName: target.tableName, Key: { messageId: { S: id } }, ConsistentRead: true }))
          .catch(() => undefined);
        if (item?.Item) missing.delete(id);
      }
      if (missing.size > 0) await sleep(pollMs);
    }
    if (missing.size === 0)
      report(
        "recorded",
        "PASS",
        `${published.length} of ${published.length} messages are in ${target.tableName} (${published.map(([, id]) => id).join(", ")})`,
      );
    else
      report(
        "recorded",
        "FAIL",
        `not in ${target.tableName} after ${options.timeoutSeconds} s: ${[...missing].join(", ")}; likely cause: the rule, its target role or the recorder (check the dead-letter and failed-executions queues)`,
        DOCS.recorded,
      );

    // 4 and 5. Their executions succeeded, and the log group received their lines.
    const lines = await logLinesOf(
      options,
      published.map(([, id]) => id),
      deadline,
      pollMs,
    );
    if (target.workflowType === "STANDARD") {
      const succeeded = await standardExecutionsOf(
        options,
        published.map(([, id]) => id),
        started,
      );
      const notSucceeded = published.filter(([, id]) => succeeded.get(id) !== "SUCCEEDED");
      if (notSucceeded.length === 0) report("executions", "PASS", `both executions SUCCEEDED (DescribeExecution)`);
      else
        report(
          "executions",
          "FAIL",
          notSucceeded.map(([, id]) => `event ${id}: ${succeeded.get(id) ?? "no execution found"}`).join("; "),
          DOCS.executions,
        );
    } else {
      const ended = published.filter(([, id]) => lines.get(id)?.some((l) => l.includes("ExecutionSucceeded")));
      if (ended.length === published.length) report("executions", "PASS", "both executions logged ExecutionSucceeded");
      else if ([...lines.values()].every((l) => l.length === 0))
        report(
          "executions",
          "SKIP",
          "an EXPRESS workflow below log level ALL writes no line for a success; the recorded items show the recorder ran",
        );
      else
        report(
          "executions",
          "FAIL",
          `no ExecutionSucceeded line for ${published
            .filter(([, id]) => !ended.some(([, e]) => e === id))
            .map(([, id]) => id)
            .join(", ")}`,
          DOCS.executions,
        );
    }
    const logged = published.filter(([, id]) => (lines.get(id)?.length ?? 0) > 0);
    if (logged.length === published.length)
      report("logs", "PASS", `${target.logGroupName} received the executions' lines (the key and the log delivery work)`);
    else if (target.workflowType === "EXPRESS" && logged.length === 0)
      report("logs", "SKIP", `${target.logGroupName}: a success writes no line below log level ALL`);
    else
      report(
        "logs",
        "FAIL",
        `${target.logGroupName} has no line for ${published
          .filter(([, id]) => !logged.some(([, l]) => l === id))
          .map(([, id]) => id)
          .join(
            ", ",
          )} after ${options.timeoutSeconds} s; likely cause: log delivery cannot use the key, or the role lacks log delivery permissions`,
        DOCS.logs,
      );
  }

  // 6. Both queues readable, with their depth.
  for (const [hop, url] of [
    ["dead-letter-queue", target.deadLetterQueueUrl],
    ["failed-executions-queue", target.failedExecutionsQueueUrl],
  ] as const) {
    try {
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
      );
      // Visibility 0: a look that hides nothing from redrive; it proves the operator can decrypt what is kept.
      await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
      );
      const depth = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
      report(hop, "PASS", `readable; ${depth} message${depth === 1 ? "" : "s"} waiting${depth > 0 ? " (npm run redrive)" : ""}`);
    } catch (error) {
      report(hop, "FAIL", `cannot read ${url}: ${errorLine(error)}; likely cause: the key policy or the operator policy`, DOCS.queues);
    }
  }

  // 7. Every alarm's state.
  try {
    const { MetricAlarms = [] } = await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: target.alarmNamePrefix }));
    const firing = MetricAlarms.filter((a) => a.StateValue === "ALARM").map((a) => a.AlarmName);
    const states = MetricAlarms.map((a) => `${String(a.AlarmName).slice(target.alarmNamePrefix.length)}=${a.StateValue}`).join(", ");
    if (MetricAlarms.length === 0) report("alarms", "FAIL", `no alarm named ${target.alarmNamePrefix}*`, DOCS.alarms);
    else if (firing.length > 0) report("alarms", "FAIL", `in ALARM: ${firing.join(", ")} (${states})`, DOCS.alarms);
    else report("alarms", "PASS", states);
  } catch (error) {
    report("alarms", "FAIL", `DescribeAlarms failed: ${errorLine(error)}`, DOCS.alarms);
  }

  const failed = results.filter((r) => r.outcome === "FAIL").length;
  options.log(
    `${failed === 0 ? "verified" : `${failed} hop${failed === 1 ? "" : "s"} failed`}; run ${runId} left ${Object.keys(ids).length} item(s) marked {"verify": "${runId}"} in ${target.tableName}: ${Object.values(ids).join(", ") || "none"}`,
  );
  return results;
}

/** The lines of the state machine's log group that name each event id, waiting until each has one or the deadline. */
async function logLinesOf(options: VerifyOptions, eventIds: string[], deadline: number, pollMs: number): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>(eventIds.map((id) => [id, []]));
  do {
    for (const id of eventIds.filter((e) => found.get(e)!.length === 0)) {
      const { events = [] } = await options.clients.logs
        .send(
          new FilterLogEventsCommand({
            logGroupName: options.target.logGroupName,
            filterPattern: `"${id}"`,
            startTime: Date.now() - 3_600_000,
          }),
        )
        .catch(() => ({ events: [] }));
      found.set(
        id,
        events.map((e) => String(e.message)),
      );
    }
    if (
      [...found.values()].every((l) => l.length > 0) ||
      (options.target.workflowType === "EXPRESS" && [...found.values()].some((l) => l.length > 0))
    )
      break;
    if (Date.now() >= deadline) break;
    await sleep(pollMs);
  } while (Date.now() < deadline);
  return found;
}

/** The status of the STANDARD execution whose input is each event, among those started since the run began. */
async function standardExecutionsOf(options: VerifyOptions, eventIds: string[], since: number): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  // Newest first, page by page, until the executions are older than this run (a busy state machine may have
  // started many others meanwhile).
  let nextToken: string | undefined;
  do {
    const page = await options.clients.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: options.target.stateMachineArn, maxResults: 100, nextToken }),
    );
    nextToken = page.nextToken;
    for (const execution of page.executions ?? []) {
      if (execution.startDate && execution.startDate.getTime() < since - 60_000) {
        nextToken = undefined;
        break;
      }
      const described = await options.clients.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      const id = eventIds.find((e) => String(described.input ?? "").includes(`"id":"${e}"`));
      if (id) statuses.set(id, String(described.status));
      if (statuses.size === eventIds.length) return statuses;
    }
  } while (nextToken);
  return statuses;
}

function errorLine(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${String(e.message ?? error).split("\n")[0]}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
