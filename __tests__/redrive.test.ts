import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { LOCAL_AWS } from "../scripts/local/dynamodb";
import { FaultPlan } from "../scripts/local/faults";
import { LocalPipeline } from "../scripts/local/pipeline";
import { executionName, formatSummary, redrive, RedriveOptions, RedriveSource } from "../scripts/ops/redrive-core";
import { synthAppToDisk } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * Redrive against the offline pipeline's own endpoints: the real SDK clients read its queues, start, describe
 * and list its executions (which run the real recorder), and read its table.
 */
const event = (id: string, extra: Record<string, unknown> = {}) =>
  messageEvent(id, { detail: { message: '{"hello":"redrive"}' }, ...extra });

let pipeline: LocalPipeline;
let dlq: string;
let failed: string;
let log: string[];

beforeAll(async () => {
  const stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
  pipeline = await LocalPipeline.start({ stackDir, faults: new FaultPlan(), retryIntervalMs: 0 });
  dlq = pipeline.queueNames.deadLetter!;
  failed = pipeline.queueNames.failedExecutions!;
});
afterAll(async () => pipeline?.close());
beforeEach(() => {
  log = [];
  pipeline.queues.purge(dlq);
  pipeline.queues.purge(failed);
});

function options(overrides: Partial<RedriveOptions> & { sources?: RedriveSource[] } = {}): RedriveOptions {
  return {
    sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs, maxAttempts: 1 }),
    sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn, maxAttempts: 1 }),
    dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
    target: {
      stateMachineArn: pipeline.stateMachineArn,
      tableName: pipeline.tableName,
      deadLetterQueueUrl: pipeline.queues.url(dlq),
      failedExecutionsQueueUrl: pipeline.queues.url(failed),
    },
    sources: ["dlq", "failed"],
    dryRun: false,
    maxItems: 100,
    waitSeconds: 20,
    pollMs: 10,
    log: (line) => log.push(line),
    ...overrides,
  };
}

const executionNames = async () =>
  ((await options().sfn.send(new ListExecutionsCommand({ stateMachineArn: pipeline.stateMachineArn }))).executions ?? []).map(
    (e) => e.name,
  );

describe("redrive", () => {
  test("a dead-lettered event is started under its hashed name with the original event, waited for, and deleted once recorded", async () => {
    pipeline.faults.add("failStartExecution", "r-dlq", 4);
    expect(await pipeline.publish(event("r-dlq"))).toMatchObject({ deadLettered: true });
    const summary = await redrive(options());
    expect(summary).toMatchObject({ recorded: 1, alreadyRecorded: 0, kept: 0 });
    expect(await pipeline.storedItem("r-dlq")).toBeDefined();
    expect(pipeline.queues.messages(dlq)).toEqual([]);
    expect(await executionNames()).toContain(executionName("r-dlq"));
  });

  test("the state machine comes from the outputs, never from the message's TARGET_ARN", async () => {
    pipeline.queues.send(dlq, JSON.stringify(event("r-forged")), {
      TARGET_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:Elsewhere",
    });
    expect(await redrive(options())).toMatchObject({ recorded: 1, kept: 0 });
    expect(await pipeline.storedItem("r-forged")).toBeDefined();
  });

  test("a failed execution captured from the default bus is recorded from its input, and its message deleted", async () => {
    pipeline.faults.add("recorderCrash", "r-crashed", 4);
    expect((await pipeline.publish(event("r-crashed"))).execution!.status).toBe("FAILED");
    expect(pipeline.queues.messages(failed)).toHaveLength(1);
    expect(await redrive(options())).toMatchObject({ recorded: 1, kept: 0 });
    expect(await pipeline.storedItem("r-crashed")).toBeDefined();
    expect(pipeline.queues.messages(failed)).toEqual([]);
  });

  test("an invalid record is kept with the recorder's reason and never run again: a redrive cannot cure it", async () => {
    await pipeline.publish(event("r-invalid", { time: "yesterday" }));
    const before = (await executionNames()).length;
    const summary = await redrive(options());
    expect(summary).toMatchObject({
      recorded: 0,
      kept: 1,
      keptReasons: {
        'InvalidRecord, not redriven: Record.createdAt: "yesterday" is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z': 1,
      },
    });
    expect((await executionNames()).length).toBe(before);
    expect(pipeline.queues.messages(failed)).toHaveLength(1);
    expect(await pipeline.storedItem("r-invalid")).toBeUndefined();
  });

  test("a dead-lettered event the recorder would refuse is kept with the recorder's reason and never started", async () => {
    pipeline.queues.send(dlq, JSON.stringify(event("r-impossible", { time: "2022-02-30T00:00:00Z" })));
    const before = (await executionNames()).length;
    const summary = await redrive(options());
    expect(summary).toMatchObject({
      recorded: 0,
      kept: 1,
      keptReasons: { 'InvalidRecord, not redriven: Record.createdAt: "2022-02-30T00:00:00Z" is not a date that exists': 1 },
    });
    expect((await executionNames()).length).toBe(before);
    expect(pipeline.queues.messages(dlq)).toHaveLength(1);
  });

  test("a conflict (another message under a recorded id) is kept with its reason, and the stored message stays", async () => {
    await pipeline.publish(event("r-conflict"));
    await pipeline.publish(event("r-conflict", { detail: { message: '{"hello":"someone else"}' } }));
    const summary = await redrive(options());
    expect(summary).toMatchObject({ recorded: 0, alreadyRecorded: 0, kept: 1 });
    expect(Object.keys(summary.keptReasons)).toEqual([
      expect.stringMatching(/^MessageConflict, not redriven: <id> is already recorded with another message/),
    ]);
    expect(log.join("\n")).toMatch(/kept: MessageConflict, not redriven: r-conflict is already recorded with another message/);
    expect(JSON.stringify(await pipeline.storedItem("r-conflict"))).toContain("redrive");
  });

  test("a source that cannot be read is reported on its own line, not counted as a kept message", async () => {
    pipeline.queues.send(dlq, JSON.stringify(event("r-reachable")));
    const summary = await redrive(
      options({ target: { ...options().target, failedExecutionsQueueUrl: `${pipeline.queues.endpoint}/000000000000/no-such-queue` } }),
    );
    expect(summary).toMatchObject({
      recorded: 1,
      kept: 0,
      unreachable: [expect.stringMatching(/^failed queue: .*no queue no-such-queue/)],
    });
    expect(formatSummary(summary, false)).toMatch(/^recorded 1, already recorded 0, kept 0 message\(s\)\nunreachable: failed queue: /);
  });

  test("a dead-lettered event over Step Functions' input limit is kept as one that can never start", async () => {
    const big = event("r-too-big", { detail: { message: JSON.stringify({ text: "x".repeat(262_144) }) } });
    pipeline.queues.declare(dlq, 1_048_576);
    try {
      await pipeline.putEvent(big);
      expect(pipeline.queues.messages(dlq).map((m) => m.attributes.ERROR_MESSAGE)).toEqual([
        expect.stringMatching(/^1 validation error detected: Value at 'input'/),
      ]);
      const summary = await redrive(options());
      expect(Object.keys(summary.keptReasons)).toEqual([
        expect.stringMatching(/^the event is over Step Functions' 256 KiB input and can never start an execution/),
      ]);
    } finally {
      pipeline.queues.declare(dlq, 262_144);
    }
  });

  test("an event the table already holds is not started again, and its message is deleted", async () => {
    await pipeline.publish(event("r-done"));
    pipeline.queues.send(dlq, JSON.stringify(event("r-done")));
    const before = (await executionNames()).length;
    expect(await redrive(options())).toMatchObject({ recorded: 0, alreadyRecorded: 1, kept: 0 });
    expect((await executionNames()).length).toBe(before);
    expect(pipeline.queues.messages(dlq)).toEqual([]);
  });

  test("there is no cap on attempts: after ten failed redrives of an event, the eleventh records it once the fault is fixed", async () => {
    pipeline.faults.add("recorderCrash", "r-many", Number.POSITIVE_INFINITY);
    await pipeline.publish(event("r-many"));
    for (let run = 0; run < 10; run++) {
      pipeline.queues.expireVisibility(failed);
      expect(await redrive(options())).toMatchObject({ recorded: 0, kept: 1 });
    }
    pipeline.faults.add("recorderCrash", "r-many", 0);
    pipeline.queues.expireVisibility(failed);
    expect(await redrive(options())).toMatchObject({ recorded: 1, kept: 0 });
    expect(await executionNames()).toContain(`${executionName("r-many")}-11`);
    expect(pipeline.queues.messages(failed)).toEqual([]);
  });

  test("a name already taken by a failed redrive is resolved by looking at it and the table: the next attempt gets the next name", async () => {
    pipeline.faults.add("recorderCrash", "r-again", Number.POSITIVE_INFINITY);
    await pipeline.publish(event("r-again"));
    expect(await redrive(options())).toMatchObject({ kept: 1, keptReasons: { "redrive ended FAILED (Lambda.Unknown)": 1 } });
    expect(pipeline.queues.messages(failed)).toHaveLength(1);
    pipeline.faults.add("recorderCrash", "r-again", 0);
    pipeline.queues.expireVisibility(failed);
    expect(await redrive(options())).toMatchObject({ recorded: 1, kept: 0 });
    expect(await executionNames()).toEqual(expect.arrayContaining([executionName("r-again"), `${executionName("r-again")}-2`]));
    expect(pipeline.queues.messages(failed)).toEqual([]);
  });

  test("an error on one message does not stop the run: a bad body and a failed delete are kept, the rest recorded", async () => {
    pipeline.queues.send(dlq, "not json");
    pipeline.queues.send(dlq, JSON.stringify(event("r-ok-1")));
    pipeline.queues.send(dlq, JSON.stringify(event("r-ok-2")));
    pipeline.queues.failNextDeletes = 1;
    const summary = await redrive(options());
    expect(summary.recorded).toBe(2);
    expect(summary.kept).toBe(2);
    expect(Object.keys(summary.keptReasons).sort()).toEqual([
      "recorded, but the message could not be deleted (InternalError: injected: DeleteMessage failed); the next redrive finds it recorded",
      "the body is not JSON",
    ]);
    expect(await pipeline.storedItem("r-ok-1")).toBeDefined();
    expect(await pipeline.storedItem("r-ok-2")).toBeDefined();
    pipeline.queues.expireVisibility(dlq);
    expect(await redrive(options())).toMatchObject({ alreadyRecorded: 1, kept: 1 });
    expect(pipeline.queues.messages(dlq).map((m) => m.Body)).toEqual(["not json"]);
  });

  test("--dry-run starts nothing and deletes nothing", async () => {
    pipeline.queues.send(dlq, JSON.stringify(event("r-dry")));
    const before = (await executionNames()).length;
    expect(await redrive(options({ dryRun: true }))).toMatchObject({ wouldRedrive: 1, recorded: 0 });
    expect((await executionNames()).length).toBe(before);
    expect(pipeline.queues.messages(dlq)).toHaveLength(1);
    expect(log).toContain(
      `dlq message ${pipeline.queues.messages(dlq)[0].MessageId}: would redrive event r-dry as ${executionName("r-dry")}`,
    );
  });

  test("--dry-run lists every kept message, not only the first ten, and leaves them all visible to other readers", async () => {
    for (let i = 0; i < 25; i++) pipeline.queues.send(dlq, JSON.stringify(event(`r-list-${i}`)));
    expect(await redrive(options({ dryRun: true }))).toMatchObject({ wouldRedrive: 25 });
    expect(log.filter((line) => line.includes("would redrive event r-list-"))).toHaveLength(25);
    expect(pipeline.queues.messages(dlq).every((m) => m.invisibleUntil <= Date.now())).toBe(true);
  });

  test("--max bounds a run and says how many messages wait for the next one", async () => {
    for (let i = 0; i < 5; i++) pipeline.queues.send(dlq, JSON.stringify(event(`r-max-${i}`)));
    expect(await redrive(options({ maxItems: 3 }))).toMatchObject({ recorded: 3 });
    expect(log).toContain("dlq queue: --max 3 reached; about 2 more message(s) wait for the next run");
  });

  test("the execution history is the authority: a failure whose status-change event was lost is found and recorded once", async () => {
    const since = new Date();
    pipeline.faults.add("recorderCrash", "r-history", 8);
    await pipeline.publish(event("r-history"));
    await pipeline.publish(event("r-history"));
    pipeline.queues.purge(failed);
    const summary = await redrive(options({ sources: ["executions"], since }));
    expect(summary).toMatchObject({ recorded: 1, kept: 0 });
    expect(await pipeline.storedItem("r-history")).toBeDefined();
  });

  test("the executions source refuses to run without a time window", async () => {
    await expect(redrive(options({ sources: ["executions"] }))).rejects.toThrow("the executions source needs --since");
  });
});

describe("execution names", () => {
  test("are valid: letters, digits, '-' and '_', at most 80 characters even with an attempt suffix of 14 digits", () => {
    for (const id of ["cdd51245-987a-b3c7-eecf-6d6d63046073", "a b/c", "x".repeat(300), "é😀"]) {
      expect(`${executionName(id)}-${"9".repeat(14)}`).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
  });

  test("ids that differ only in characters names do not allow, or beyond the readable prefix, get different names", () => {
    expect(executionName("a b")).not.toBe(executionName("a_b"));
    expect(executionName("a/b")).not.toBe(executionName("a b"));
    expect(executionName(`${"x".repeat(40)}1`)).not.toBe(executionName(`${"x".repeat(40)}2`));
  });

  test("are stable for an event id", () => {
    expect(executionName("evt-1")).toBe(executionName("evt-1"));
    expect(executionName("evt-1")).toMatch(/^redrive-evt-1-[0-9a-f]{32}$/);
  });
});
