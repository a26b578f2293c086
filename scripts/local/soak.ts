import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { parseArgs as parseNodeArgs } from "node:util";
import "./node-compat";
import { formatSummary, redrive } from "../ops/redrive-core";
import { LOCAL_AWS } from "./dynamodb";
import { FaultKind, FaultPlan } from "./faults";
import { LocalPipeline } from "./pipeline";
import { synthesizeFirstEnvironment } from "./synth";

/**
 * npm run soak -- [--events N] [--fault-rate R] [--concurrency C] [--seed S]
 *
 * Pushes N events through the offline pipeline (the synthesized stack, the recorder from its zip) with a fault
 * injected at a real endpoint for a share R of them, then counts where every event ended: recorded in the
 * table, or captured in the DLQ or the failed-executions queue. Then it runs the real redrive against the
 * local endpoints, with the faults gone (the cause fixed), and counts again. Exits 1 if anything was lost or
 * stored twice.
 */
const USAGE = "usage: npm run soak -- [--events N] [--fault-rate 0..1] [--concurrency N] [--seed N] [--workflow-type standard|express]";

/** The faults of a soak, and how many occasions of each one event gets. */
const SOAK_FAULTS: ReadonlyArray<{ kind: FaultKind | "invalidRecord"; count: number; expect: string }> = [
  { kind: "throttlePutItem", count: 5, expect: "recorded (retried by the state machine)" },
  { kind: "failSendTaskSuccess", count: 4, expect: "recorded (retried, answered as a duplicate)" },
  { kind: "crashAfterWrite", count: 1, expect: "recorded (retried after Lambda.Unknown)" },
  { kind: "recorderCrash", count: Number.POSITIVE_INFINITY, expect: "captured in the failed-executions queue" },
  { kind: "failStartExecution", count: 1_000, expect: "captured in the dead-letter queue" },
  { kind: "invalidRecord", count: 1, expect: "captured; stays kept after redrive (it can never be recorded)" },
];

async function main(): Promise<number> {
  let parsed: SoakOptions | "help";
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}; ${USAGE}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const random = seededRandom(options.seed);
  const faults = new FaultPlan();
  const stackDir = synthesizeFirstEnvironment({ ...process.env, RECORDER_WORKFLOW_TYPE: options.workflowType });
  const pipeline = await LocalPipeline.start({ stackDir, faults, retryIntervalMs: 0 });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const planned = new Map<string, (typeof SOAK_FAULTS)[number]["kind"]>();
    const ids = Array.from({ length: options.events }, (_, n) => `soak-${options.seed}-${n}`);
    for (const id of ids) {
      if (random() >= options.faultRate) continue;
      const fault = SOAK_FAULTS[Math.floor(random() * SOAK_FAULTS.length)];
      planned.set(id, fault.kind);
      if (fault.kind !== "invalidRecord") faults.add(fault.kind, id, fault.count);
    }

    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        await pipeline.publish(event(id, planned.get(id) === "invalidRecord"));
      }
    }));
    await pipeline.settled();
    const seconds = (Date.now() - started) / 1000;

    out(`soak: ${options.workflowType} workflow, ${ids.length} events, fault rate ${options.faultRate}, concurrency ${options.concurrency}, seed ${options.seed}: ${seconds.toFixed(1)} s`);
    out("faults planned:");
    for (const fault of SOAK_FAULTS) {
      out(`  ${fault.kind.padEnd(20)} ${String([...planned.values()].filter((k) => k === fault.kind).length).padStart(5)}  expected: ${fault.expect}`);
    }
    const before = await count(pipeline, ids);
    out(`after the run:    ${line(before)}`);

    // The operator fixes the cause (no more faults), then redrives both queues.
    for (const [id, kind] of planned) if (kind !== "invalidRecord") faults.add(kind, id, 0);
    const summary = await redrive({
      sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs }),
      sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn }),
      dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
      target: {
        stateMachineArn: pipeline.stateMachineArn, tableName: pipeline.tableName,
        deadLetterQueueUrl: pipeline.queues.url(pipeline.queueNames.deadLetter!),
        failedExecutionsQueueUrl: pipeline.queues.url(pipeline.queueNames.failedExecutions!),
      },
      sources: ["dlq", "failed"], dryRun: false, maxItems: options.events * 4, waitSeconds: 60, pollMs: 5, log: () => undefined,
    });
    out(`redrive:          ${formatSummary(summary, false)}`);
    const after = await count(pipeline, ids);
    out(`after redrive:    ${line(after)}`);
    const invalid = [...planned.values()].filter((k) => k === "invalidRecord").length;
    const ok = before.lost === 0 && after.lost === 0 && before.duplicates === 0 && after.duplicates === 0 && after.captured === invalid;
    out(ok ? "result: nothing lost, nothing stored twice" : "result: FAILED: see the counts above");
    return ok ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

interface Counts {
  published: number;
  recorded: number;
  duplicates: number;
  captured: number;
  lost: number;
}

async function count(pipeline: LocalPipeline, ids: readonly string[]): Promise<Counts> {
  const stored: string[] = [];
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await pipeline.dynamoDBClient.send(new ScanCommand({ TableName: pipeline.tableName, ExclusiveStartKey }));
    stored.push(...(page.Items ?? []).map((item) => item.messageId.S!));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const published = new Set(ids);
  const recorded = new Set(stored.filter((id) => published.has(id)));
  // Stored twice: a key written for no published event, or the same event under two keys (never, by design).
  const duplicates = stored.length - recorded.size;
  const kept = new Set<string>();
  for (const queue of [pipeline.queueNames.deadLetter!, pipeline.queueNames.failedExecutions!]) {
    for (const message of pipeline.queues.messages(queue)) {
      const body = JSON.parse(message.Body) as { source?: string; id?: string; detail?: { input?: string | { id: string } } };
      // A status-change event carries the input as a string; what an EXPRESS workflow sends, as JSON.
      const input = body.detail?.input;
      const id = body.source === "aws.states" ? (typeof input === "string" ? (JSON.parse(input) as { id: string }).id : input!.id) : body.id!;
      if (!recorded.has(id)) kept.add(id);
    }
  }
  const lost = ids.filter((id) => !recorded.has(id) && !kept.has(id)).length;
  return { published: ids.length, recorded: recorded.size, duplicates, captured: kept.size, lost };
}

function line(c: Counts): string {
  return `published ${c.published}, recorded ${c.recorded}, duplicates stored ${c.duplicates}, captured for redrive ${c.captured}, lost ${c.lost}`;
}

function event(id: string, invalid: boolean) {
  return {
    version: "0", id, "detail-type": "message", source: "com.devpost.commonevent", account: "000000000000",
    time: invalid ? "yesterday" : "2022-04-16T12:20:00Z", region: "us-east-1", resources: [],
    detail: { message: JSON.stringify({ soak: id }) },
  };
}

interface SoakOptions {
  readonly events: number;
  readonly faultRate: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly workflowType: "standard" | "express";
}

function parseOptions(argv: string[]): SoakOptions | "help" {
  const { values } = parseNodeArgs({
    args: argv,
    options: { events: { type: "string" }, "fault-rate": { type: "string" }, concurrency: { type: "string" }, seed: { type: "string" }, "workflow-type": { type: "string" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) return "help";
  const number = (name: string, value: string | undefined, fallback: number, valid: (n: number) => boolean, allowed: string) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (value.trim() === "" || !valid(n)) throw new Error(`--${name}: "${value}" is not allowed; expected ${allowed}`);
    return n;
  };
  return {
    events: number("events", values.events, 2000, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, "a whole number from 1 to 100000"),
    faultRate: number("fault-rate", values["fault-rate"], 0.1, (n) => n >= 0 && n <= 1, "a number from 0 to 1"),
    concurrency: number("concurrency", values.concurrency, 16, (n) => Number.isInteger(n) && n >= 1 && n <= 256, "a whole number from 1 to 256"),
    seed: number("seed", values.seed, 1, (n) => Number.isInteger(n) && n >= 0, "a whole number"),
    workflowType: workflowTypeOf(values["workflow-type"]),
  };
}

function workflowTypeOf(value: string | undefined): "standard" | "express" {
  if (value === undefined || value === "standard" || value === "express") return value ?? "standard";
  throw new Error(`--workflow-type: "${value}" is not allowed; expected standard or express`);
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
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
