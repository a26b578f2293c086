import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { LOCAL_AWS } from "../scripts/local/dynamodb";
import { FaultPlan } from "../scripts/local/faults";
import { LocalPipeline } from "../scripts/local/pipeline";
import {
  formatReconcileSummary,
  reconcile,
  ReconcileBusy,
  ReconcileOptions,
  reconcileTargetOf,
  stillMissing,
} from "../scripts/ops/reconcile-core";
import { synthAppToDisk } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * npm run reconcile against the offline pipeline: the bus archive keeps every matching event, StartReplay sends a
 * window of it to the reconciliation rule only, and reconcile records what the table lacks.
 */
const event = (id: string, extra: Record<string, unknown> = {}) =>
  messageEvent(id, { detail: { message: `{"reconcile":"${id}"}` }, ...extra });

let pipeline: LocalPipeline;
let log: string[];
let windowStart: Date;

beforeAll(async () => {
  const stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
  pipeline = await LocalPipeline.start({ stackDir, faults: new FaultPlan(), retryIntervalMs: 0 });
});
afterAll(async () => pipeline?.close());
beforeEach(() => {
  log = [];
  windowStart = new Date();
});

function options(overrides: Partial<ReconcileOptions> = {}): ReconcileOptions {
  const outputs = Object.fromEntries(Object.entries(pipeline.outputs()).map(([k, v]) => [k, v.value]));
  return {
    events: new EventBridgeClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.events, maxAttempts: 1 }),
    sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs, maxAttempts: 1 }),
    sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn, maxAttempts: 1 }),
    dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
    target: reconcileTargetOf(outputs),
    since: windowStart,
    until: new Date(Date.now() + 60_000),
    dryRun: false,
    waitSeconds: 20,
    pollMs: 5,
    log: (line) => log.push(line),
    ...overrides,
  };
}

describe("npm run reconcile", () => {
  test("an event EventBridge could not even dead-letter is in no queue, but the archive has it: reconcile records it; a second run records nothing new", async () => {
    pipeline.faults.add("failStartExecution", "rc-lost", 10);
    pipeline.faults.add("failDeadLetter", "rc-lost", 1);
    const delivered = await pipeline.putEvent(event("rc-lost"));
    expect(delivered.find((d) => d.target.kind === "state-machine")).toMatchObject({ deadLetterFailed: true });
    await pipeline.publish(event("rc-fine"));
    expect(await pipeline.storedItem("rc-lost")).toBeUndefined();
    for (const queue of [pipeline.queueNames.deadLetter!, pipeline.queueNames.failedExecutions!])
      expect(pipeline.queues.messages(queue)).toEqual([]);

    const first = await reconcile(options({ until: new Date(Date.now() + 1000) }));
    expect(first).toMatchObject({ archived: 2, alreadyRecorded: 1, recorded: 1, kept: 0 });
    expect(formatReconcileSummary(first, false)).toBe("archived in the window 2, recorded 1, recorded now 1, kept 0");
    expect(stillMissing(first)).toBe(false);
    expect(await pipeline.storedItem("rc-lost")).toBeDefined();

    const second = await reconcile(options({ until: new Date(Date.now() + 1000) }));
    expect(second).toMatchObject({ archived: 2, alreadyRecorded: 2, recorded: 0, kept: 0 });
    // Its own messages are gone from the queue; replays never started executions by themselves.
    expect(pipeline.queues.messages(pipeline.reconciliation!.queueName)).toEqual([]);
  });

  test("replays reach only the reconciliation rule: the main rule starts no execution for them", async () => {
    await pipeline.publish(event("rc-once"));
    const executionsBefore = [...pipeline.stateMachines.values()][0].all.length;
    const summary = await reconcile(options({ until: new Date(Date.now() + 1000) }));
    expect(summary).toMatchObject({ archived: 1, alreadyRecorded: 1, recorded: 0 });
    expect([...pipeline.stateMachines.values()][0].all.length).toBe(executionsBefore);
  });

  test("an event the recorder would refuse is kept with the recorder's reason and not started again: no execution, no new capture", async () => {
    await pipeline.publish(event("rc-invalid", { time: "2022-02-30T00:00:00Z" }));
    const executionsBefore = [...pipeline.stateMachines.values()][0].all.length;
    const capturedBefore = pipeline.queues.messages(pipeline.queueNames.failedExecutions!).length;
    const summary = await reconcile(options({ until: new Date(Date.now() + 1000) }));
    expect(summary).toMatchObject({ archived: 1, recorded: 0, kept: 1 });
    expect(Object.keys(summary.keptReasons)).toEqual([
      'InvalidRecord, not redriven: Record.createdAt: "2022-02-30T00:00:00Z" is not a date that exists',
    ]);
    expect(stillMissing(summary)).toBe(true);
    expect([...pipeline.stateMachines.values()][0].all.length).toBe(executionsBefore);
    expect(pipeline.queues.messages(pipeline.queueNames.failedExecutions!).length).toBe(capturedBefore);
  });

  test("an AWS error on one missing event keeps that event and the run goes on to the next", async () => {
    for (const id of ["rc-err", "rc-after"]) {
      pipeline.faults.add("failStartExecution", id, 10);
      pipeline.faults.add("failDeadLetter", id, 1);
      await pipeline.putEvent(event(id));
    }
    const real = options().dynamodb;
    const throttled = Object.assign(Object.create(real) as DynamoDBClient, {
      send: (command: { input: { Key?: { messageId?: { S?: string } } } }) =>
        command.input.Key?.messageId?.S === "rc-err"
          ? Promise.reject(
              Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
                name: "ProvisionedThroughputExceededException",
              }),
            )
          : real.send(command as never),
    });
    const summary = await reconcile(options({ dynamodb: throttled, until: new Date(Date.now() + 1000) }));
    expect(summary).toMatchObject({ archived: 2, recorded: 1, kept: 1 });
    expect(Object.keys(summary.keptReasons)).toEqual([
      "ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput.",
    ]);
    expect(await pipeline.storedItem("rc-after")).toBeDefined();
    expect(stillMissing(summary)).toBe(true);
  });

  test("a window with nothing missing reports 0 missing; --dry-run lists what it would record and starts nothing", async () => {
    pipeline.faults.add("failStartExecution", "rc-dry", 10);
    pipeline.faults.add("failDeadLetter", "rc-dry", 1);
    await pipeline.putEvent(event("rc-dry"));
    const dry = await reconcile(options({ dryRun: true, until: new Date(Date.now() + 1000) }));
    expect(formatReconcileSummary(dry, true)).toBe("archived in the window 1, recorded 0, missing 1 (dry run: nothing started), kept 0");
    expect(await pipeline.storedItem("rc-dry")).toBeUndefined();
    expect(log.some((line) => /would redrive event rc-dry/.test(line))).toBe(true);
    windowStart = new Date(Date.now() + 5000);
    const empty = await reconcile(options({ since: windowStart, until: new Date(Date.now() + 10_000) }));
    expect(formatReconcileSummary(empty, false)).toBe("archived in the window 0, recorded 0, recorded now 0, kept 0");
    expect(stillMissing(empty)).toBe(false);
  });

  test("refuses to run while another reconcile of the archive is replaying", async () => {
    const name = `${pipeline.outputs().event_archive_name.value}-reconcile-running`;
    pipeline.replays.set(name, {
      state: "RUNNING",
      archiveArn: "a",
      startTime: 0,
      endTime: 0,
      filterArns: [],
      replayed: 0,
      done: Promise.resolve(),
    });
    try {
      await expect(reconcile(options())).rejects.toThrow(new ReconcileBusy(name));
    } finally {
      pipeline.replays.delete(name);
    }
  });
});
