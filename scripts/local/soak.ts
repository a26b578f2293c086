import { AttributeValue, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import "./node-compat";
import { defineCli, HelpRequested, oneOf, share, UsageError, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { IDEMPOTENCY_KEY_PREFIX, recordIdOf } from "../../lambdas/recorder/record";
import { formatReconcileSummary, reconcile, reconcileTargetOf } from "../ops/reconcile-core";
import { formatSummary, permanentFailureOf, redrive } from "../ops/redrive-core";
import { LOCAL_AWS } from "./dynamodb";
import { FaultKind, FaultPlan } from "./faults";
import { LocalPipeline } from "./pipeline";
import { synthesizeFirstEnvironment } from "../synthesized/synth";

/**
 * npm run soak -- [--events N] [--fault-rate R] [--concurrency C] [--seed S]
 *
 * Pushes N events through the offline pipeline (the synthesized stack, the recorder from its zip) with a fault
 * injected at a real endpoint for a share R of them, then counts where every event ended: recorded in the
 * table, or captured in the DLQ or the failed-executions queue. Then it runs the real redrive against the
 * local endpoints, with the faults gone (the cause fixed), and counts again. Exits 1 if anything was lost or
 * stored twice.
 */
const CLI = defineCli({
  command: "npm run soak --",
  summary:
    "Pushes N events through the offline pipeline (the synthesized stack, the recorder from its zip) with a fault injected at a real " +
    "endpoint for a share of them, counts where every event ended, runs the real redrive with the faults gone and counts again, then " +
    "reconciles against the bus archive. Progress goes to stderr; the counts to stdout, ending with the result. Exits 1 if anything " +
    "was lost, stored twice or altered.",
  options: {
    events: { value: "N", description: "events to publish, a whole number from 1 to 100000", default: "2000" },
    "fault-rate": { value: "F", description: "the share of events that meet a fault, from 0 to 1", default: "0.1" },
    concurrency: { value: "N", description: "events in flight at once, from 1 to 256", default: "16" },
    seed: { value: "N", description: "the seed of the fault plan: the same seed, the same faults", default: "1" },
    "workflow-type": { value: "T", description: "standard or express", default: "standard" },
  },
  examples: ["npm run soak -- --events 2000 --fault-rate 0.1", "npm run soak -- --workflow-type express --seed 7"],
});

/** What a soak event may meet: a fault at an endpoint (with how many occasions), or an edge of its own. */
type SoakKind = FaultKind | "invalidRecord" | "impossibleDate" | "conflict" | "largestMessage" | "retriedPost" | "lostToDeadLetter";
/** Kinds whose events can never be recorded: redrive keeps them, with their reason. */
const NEVER_RECORDED: readonly SoakKind[] = ["invalidRecord", "impossibleDate"];
const SOAK_FAULTS: ReadonlyArray<{ kind: SoakKind; count: number; expect: string }> = [
  { kind: "throttlePutItem", count: 5, expect: "recorded (retried by the state machine)" },
  { kind: "failSendTaskSuccess", count: 4, expect: "recorded (retried, answered as a duplicate)" },
  { kind: "crashAfterWrite", count: 1, expect: "recorded (retried after Lambda.Unknown)" },
  { kind: "recorderCrash", count: Number.POSITIVE_INFINITY, expect: "captured in the failed-executions queue" },
  { kind: "failStartExecution", count: 1_000, expect: "captured in the dead-letter queue" },
  { kind: "invalidRecord", count: 1, expect: "captured; stays kept after redrive (it can never be recorded)" },
  { kind: "impossibleDate", count: 1, expect: "captured (2022-02-30 is refused, never stored as March); stays kept" },
  { kind: "conflict", count: 1, expect: "the first message recorded; the same id with another message kept as a MessageConflict" },
  { kind: "largestMessage", count: 1, expect: "recorded byte for byte (a 200 KB message)" },
  { kind: "retriedPost", count: 1, expect: "POST /messages twice with one Idempotency-Key: recorded once, under the key" },
  { kind: "lostToDeadLetter", count: 1, expect: "not even dead-lettered: in no queue, only in the archive; recorded by reconcile" },
];
/** The faults planned at the endpoints (the other kinds are shapes of the events themselves). */
const ENDPOINT_FAULTS = new Set<SoakKind>([
  "throttlePutItem",
  "failSendTaskSuccess",
  "crashAfterWrite",
  "recorderCrash",
  "failStartExecution",
]);

async function main(): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${CLI.help}\n`);
      return 0;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}; ${CLI.usage}\n`);
    return 2;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const random = seededRandom(options.seed);
  const faults = new FaultPlan();
  const step = (what: string) => process.stderr.write(`soak: ${what}\n`);
  step(`synthesizing the first environment as ${options.workflowType} and starting the offline pipeline`);
  const stackDir = synthesizeFirstEnvironment({ ...process.env, RECORDER_WORKFLOW_TYPE: options.workflowType });
  const pipeline = await LocalPipeline.start({ stackDir, faults, retryIntervalMs: 0 });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const planned = new Map<string, SoakKind>();
    const ids = Array.from({ length: options.events }, (_, n) => `soak-${options.seed}-${n}`);
    for (const id of ids) {
      if (random() >= options.faultRate) continue;
      const fault = SOAK_FAULTS[Math.floor(random() * SOAK_FAULTS.length)];
      planned.set(id, fault.kind);
      if (ENDPOINT_FAULTS.has(fault.kind)) faults.add(fault.kind as FaultKind, id, fault.count);
      if (fault.kind === "lostToDeadLetter") {
        faults.add("failStartExecution", id, 1_000);
        faults.add("failDeadLetter", id, 1);
      }
    }

    const started = Date.now();
    let next = 0;
    const published = new Progress("soak: published", ids.length);
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          await publish(pipeline, id, planned.get(id));
          published.tick();
        }
      }),
    );
    await pipeline.settled();
    published.end("every execution ended");
    const seconds = (Date.now() - started) / 1000;

    out(
      `soak: ${options.workflowType} workflow, ${ids.length} events, fault rate ${options.faultRate}, concurrency ${options.concurrency}, seed ${options.seed}: ${seconds.toFixed(1)} s`,
    );
    out("faults planned:");
    for (const fault of SOAK_FAULTS) {
      out(
        `  ${fault.kind.padEnd(20)} ${String([...planned.values()].filter((k) => k === fault.kind).length).padStart(5)}  expected: ${fault.expect}`,
      );
    }
    const before = await count(pipeline, ids, planned);
    out(`after the run:    ${line(before)}`);

    // The operator fixes the cause (no more faults), then redrives both queues.
    for (const [id, kind] of planned) {
      if (ENDPOINT_FAULTS.has(kind)) faults.add(kind as FaultKind, id, 0);
      if (kind === "lostToDeadLetter") faults.add("failStartExecution", id, 0);
    }
    const redriven = new Progress("soak: redrive with the faults gone, messages handled");
    const summary = await redrive({
      sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs }),
      // StartSyncExecution (EXPRESS) goes to the sync- host of the endpoint; the local endpoint has none.
      sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn, disableHostPrefix: true }),
      dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
      target: {
        stateMachineArn: pipeline.stateMachineArn,
        workflowType: pipeline.workflowType,
        tableName: pipeline.tableName,
        deadLetterQueueUrl: pipeline.queues.url(pipeline.queueNames.deadLetter!),
        failedExecutionsQueueUrl: pipeline.queues.url(pipeline.queueNames.failedExecutions!),
      },
      sources: ["dlq", "failed"],
      dryRun: false,
      maxItems: options.events * 4,
      waitSeconds: 60,
      pollMs: 5,
      log: () => redriven.tick(),
    });
    redriven.end();
    out(`redrive:          ${formatSummary(summary, false)}`);
    const after = await count(pipeline, ids, planned);
    out(`after redrive:    ${line(after)}`);
    const never = [...planned.values()].filter((k) => NEVER_RECORDED.includes(k)).length;
    const conflicts = [...planned.values()].filter((k) => k === "conflict").length;
    // Then reconcile, and count against the archive (what the bus kept), not against what the soak remembers.
    const outputs = Object.fromEntries(Object.entries(pipeline.outputs()).map(([k, v]) => [k, v.value]));
    const reconciling = new Progress("soak: reconcile against the archive, events checked");
    const reconciled = await reconcile({
      events: new EventBridgeClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.events }),
      sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs }),
      sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn, disableHostPrefix: true }),
      dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
      target: {
        ...reconcileTargetOf(outputs),
        stateMachineArn: pipeline.stateMachineArn,
        workflowType: pipeline.workflowType,
        tableName: pipeline.tableName,
      },
      since: new Date(started - 1000),
      until: new Date(Date.now() + 1000),
      dryRun: false,
      waitSeconds: 60,
      pollMs: 5,
      log: (line) => {
        if (line.startsWith("archived event")) reconciling.tick();
      },
    });
    reconciling.end();
    out(`reconcile:        ${formatReconcileSummary(reconciled, false)}`);
    const archive = await againstArchive(pipeline, reconciled.kept);
    out(
      `against the archive: archived ${archive.archived}, recorded ${archive.recorded}, conflicts kept ${archive.conflicts}, kept with a reason ${archive.keptWithReason}, lost ${archive.lost}`,
    );
    const ok =
      before.lost === 0 &&
      after.lost === 0 &&
      before.duplicates === 0 &&
      after.duplicates === 0 &&
      after.captured === never &&
      after.conflictsKept === conflicts &&
      after.alteredMessages === 0 &&
      archive.lost === 0 &&
      reconciled.recorded === [...planned.values()].filter((k) => k === "lostToDeadLetter").length;
    out(ok ? "result: nothing lost, nothing stored twice" : "result: FAILED: see the counts above");
    return ok ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

/**
 * Every event the bus archived, against the table after reconcile: recorded (its key holds its bytes), a conflict
 * (its key holds other bytes), or absent; an absent one is lost unless reconcile kept it with a reason.
 */
async function againstArchive(
  pipeline: LocalPipeline,
  reconcileKept: number,
): Promise<{ archived: number; recorded: number; conflicts: number; keptWithReason: number; lost: number }> {
  const events = [...pipeline.archives.values()].flatMap((a) =>
    a.events.map((e) => e.event as { id: string; detail: { message: string } }),
  );
  let recorded = 0;
  let conflicts = 0;
  let absent = 0;
  for (const event of events) {
    const item = await pipeline.storedItem(recordIdOf(event)!);
    if (!item) absent++;
    else if (item.event?.S === event.detail.message) recorded++;
    else conflicts++;
  }
  const keptWithReason = Math.min(absent, Math.max(reconcileKept - conflicts, 0));
  return { archived: events.length, recorded, conflicts, keptWithReason, lost: absent - keptWithReason };
}

interface Counts {
  published: number;
  recorded: number;
  duplicates: number;
  captured: number;
  /** Same-id messages with other content, kept with MessageConflict (the first stays recorded). */
  conflictsKept: number;
  /** Records whose stored message is not the one published first for them: never allowed. */
  alteredMessages: number;
  /** Events in no queue and not recorded (EventBridge could not dead-letter them): the archive has them. */
  inArchiveOnly: number;
  lost: number;
}

/** The key a soak event is recorded under: its id, or its idempotency key's record for a retried POST. */
const recordKeyOf = (id: string, kind?: SoakKind) => (kind === "retriedPost" ? `${IDEMPOTENCY_KEY_PREFIX}${id}` : id);

/** Publishes one soak event as its kind says: on the bus, twice with two messages, or through the API twice with one key. */
async function publish(pipeline: LocalPipeline, id: string, kind?: SoakKind): Promise<void> {
  if (kind === "retriedPost") {
    // The first 200 is lost to the producer, which sends the same request again with the same key.
    for (let attempt = 0; attempt < 2; attempt++)
      await pipeline.postMessage(JSON.stringify({ message: messageOf(id, kind) }), "application/json", { "idempotency-key": id });
    return;
  }
  await pipeline.publish(event(id, kind));
  if (kind === "conflict") await pipeline.publish(event(id, kind, JSON.stringify({ soak: id, conflicting: true })));
}

async function count(pipeline: LocalPipeline, ids: readonly string[], planned: ReadonlyMap<string, SoakKind>): Promise<Counts> {
  const stored = new Map<string, string>();
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await pipeline.dynamoDBClient.send(new ScanCommand({ TableName: pipeline.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) stored.set(item.messageId.S!, item.event?.S ?? "");
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const expected = new Map(ids.map((id) => [recordKeyOf(id, planned.get(id)), id]));
  const recorded = new Set([...stored.keys()].filter((key) => expected.has(key)));
  // Stored twice: a key written for no published event, or the same event under two keys (never, by design).
  const duplicates = stored.size - recorded.size;
  const alteredMessages = [...recorded].filter(
    (key) => stored.get(key) !== messageOf(expected.get(key)!, planned.get(expected.get(key)!)),
  ).length;
  const kept = new Set<string>();
  let conflictsKept = 0;
  for (const queue of [pipeline.queueNames.deadLetter!, pipeline.queueNames.failedExecutions!]) {
    for (const message of pipeline.queues.messages(queue)) {
      const body = JSON.parse(message.Body) as {
        source?: string;
        id?: string;
        detail?: { input?: string | { id: string }; error?: string; cause?: string };
      };
      // A status-change event carries the input as a string; what an EXPRESS workflow sends, as JSON.
      const input = body.detail?.input;
      const original = (body.source === "aws.states" ? (typeof input === "string" ? JSON.parse(input) : input) : body) as {
        id: string;
        detail?: unknown;
      };
      const key = recordIdOf(original)!;
      if (!recorded.has(key)) kept.add(key);
      else if (permanentFailureOf(body.detail ?? {})?.error === "MessageConflict") conflictsKept++;
    }
  }
  // Events EventBridge could not even dead-letter are in no queue: only the archive has them, for reconcile.
  const archiveOnly = new Set(ids.filter((id) => planned.get(id) === "lostToDeadLetter").map((id) => recordKeyOf(id)));
  const lost = [...expected.keys()].filter((key) => !recorded.has(key) && !kept.has(key) && !archiveOnly.has(key)).length;
  const inArchiveOnly = [...archiveOnly].filter((key) => !recorded.has(key)).length;
  return {
    published: ids.length,
    recorded: recorded.size,
    duplicates,
    captured: kept.size,
    conflictsKept,
    alteredMessages,
    inArchiveOnly,
    lost,
  };
}

function line(c: Counts): string {
  return `published ${c.published}, recorded ${c.recorded}, duplicates stored ${c.duplicates}, conflicts kept ${c.conflictsKept}, altered ${c.alteredMessages}, captured for redrive ${c.captured}, in the archive only ${c.inArchiveOnly}, lost ${c.lost}`;
}

/** The message each soak event publishes first: a 200 KB one for largestMessage. */
function messageOf(id: string, kind?: SoakKind): string {
  return JSON.stringify(kind === "largestMessage" ? { soak: id, padding: "\u{1F600}".repeat(50 * 1024) } : { soak: id });
}

function event(id: string, kind?: SoakKind, message = messageOf(id, kind)) {
  const time = kind === "invalidRecord" ? "yesterday" : kind === "impossibleDate" ? "2022-02-30T00:00:00Z" : "2022-04-16T12:20:00Z";
  return {
    version: "0",
    id,
    "detail-type": "message",
    source: "com.devpost.commonevent",
    account: "000000000000",
    time,
    region: "us-east-1",
    resources: [],
    detail: { message },
  };
}

interface SoakOptions {
  readonly events: number;
  readonly faultRate: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly workflowType: "standard" | "express";
}

function parseOptions(argv: string[]): SoakOptions {
  const args = CLI.parse(argv);
  const value = (name: string) => args.string(name);
  return {
    events: args.has("events") ? wholeNumber("--events", value("events"), 1, 100_000) : 2000,
    faultRate: args.has("fault-rate") ? share("--fault-rate", value("fault-rate")) : 0.1,
    concurrency: args.has("concurrency") ? wholeNumber("--concurrency", value("concurrency"), 1, 256) : 16,
    seed: args.has("seed") ? wholeNumber("--seed", value("seed"), 0) : 1,
    workflowType: args.has("workflow-type")
      ? oneOf("--workflow-type", value("workflow-type"), ["standard", "express"] as const)
      : "standard",
  };
}

/** mulberry32: the same seed gives the same faults, so a soak that fails can be run again as it was. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
