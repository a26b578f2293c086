import { DeleteTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import * as path from "node:path";
import { createTable } from "../scripts/local/dynamodb";
import { FaultPlan } from "../scripts/local/faults";
import { LocalPipeline } from "../scripts/local/pipeline";
import { synthAppToDisk } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * End to end, offline: everything comes from the synthesized stack (pattern, target, definition, archive,
 * table), executed by aws-local-stepfunctions with the real recorder from the zip, dynalite and a local
 * callback endpoint.
 */
const sampleEvent = (id: string, message = JSON.stringify({ hello: "world" })) => messageEvent(id, { detail: { message } });

let pipeline: LocalPipeline;
let stackDir: string;

beforeAll(async () => {
  stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
  pipeline = await LocalPipeline.start({ stackDir });
});
afterAll(async () => pipeline?.close());

const itemsWithId = async (messageId: string) =>
  (await pipeline.dynamoDBClient.send(new ScanCommand({ TableName: pipeline.tableName }))).Items!.filter(
    (i) => i.messageId.S === messageId,
  );

/** The original events kept in a queue: the body itself (DLQ) or the input of a status-change event. */
const capturedEventIds = (p: LocalPipeline, queue: string | undefined) =>
  p.queues.messages(queue!).map((m) => {
    const body = JSON.parse(m.Body);
    return body.source === "aws.states" ? JSON.parse(body.detail.input).id : body.id;
  });

describe("workflow scenarios against the synthesized stack", () => {
  test("a valid event ends in Job Succeed with the item stored", async () => {
    const result = await pipeline.publish(sampleEvent("evt-valid"));
    expect(result.matched).toBe(true);
    expect(result.execution).toMatchObject({
      status: "SUCCEEDED",
      states: ["Record Message", "Check Status?", "Job Succeed"],
      attempts: 1,
    });
    expect(result.execution!.output).toMatchObject({
      recordResult: { StatusCode: 200, Payload: { statusCode: 200, putStatus: { messageId: "evt-valid", duplicate: false } } },
    });
    expect(await pipeline.storedItem("evt-valid")).toEqual({
      messageId: { S: "evt-valid" },
      createdAt: { N: "1650111600000" },
      event: { S: '{"hello":"world"}' },
    });
  });

  test("the message is stored exactly as published: a 20-digit number is not rounded", async () => {
    const raw = '{"amount": 12345678901234567890, "note": "caf\u00e9"}';
    expect((await pipeline.publish(sampleEvent("evt-big-number", raw))).execution!.status).toBe("SUCCEEDED");
    expect((await pipeline.storedItem("evt-big-number"))?.event).toEqual({ S: raw });
  });

  test("the same event twice ends in success both times with one item", async () => {
    const first = await pipeline.publish(sampleEvent("evt-twice"));
    const second = await pipeline.publish(sampleEvent("evt-twice"));
    expect(first.execution!.status).toBe("SUCCEEDED");
    expect(second.execution!.status).toBe("SUCCEEDED");
    expect(second.execution!.output).toMatchObject({ recordResult: { Payload: { putStatus: { duplicate: true } } } });
    expect(await itemsWithId("evt-twice")).toHaveLength(1);
  });

  test("the same event delivered twice at once is stored once, and both executions succeed", async () => {
    const [a, b] = await Promise.all([pipeline.publish(sampleEvent("evt-concurrent")), pipeline.publish(sampleEvent("evt-concurrent"))]);
    expect([a.execution!.status, b.execution!.status]).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(await itemsWithId("evt-concurrent")).toHaveLength(1);
  });

  test("an event from another source starts nothing", async () => {
    const result = await pipeline.publish({ ...sampleEvent("evt-other"), source: "com.example.other" });
    expect(result).toEqual({ matched: false });
    expect(await pipeline.storedItem("evt-other")).toBeUndefined();
  });

  test("an event on another bus starts nothing", async () => {
    expect(await pipeline.publish(sampleEvent("evt-bus"), "default")).toEqual({ matched: false });
  });

  test("a detail.message that is not JSON ends in Job Failed with InvalidRecord from the recorder, stores nothing, and is captured with the original event", async () => {
    const result = await pipeline.publish(sampleEvent("evt-not-json", "{not json"));
    // The workflow passes the raw message; the recorder parses it, so this is a catchable InvalidRecord, not the
    // States.Runtime that States.StringToJson would raise where no Catch sees it.
    expect(result.execution).toMatchObject({
      status: "FAILED",
      states: ["Record Message", "Job Failed"],
      error: { name: "InvalidRecord" },
    });
    expect(JSON.parse(result.execution!.error!.cause)).toMatchObject({
      error: "InvalidRecord",
      message: "Record.message: not JSON",
      messageId: "evt-not-json",
    });
    expect(await pipeline.storedItem("evt-not-json")).toBeUndefined();
    const captured = pipeline.queues
      .messages(pipeline.queueNames.failedExecutions!)
      .map((m) => JSON.parse(m.Body))
      .find((e) => JSON.parse(e.detail.input).id === "evt-not-json");
    expect(captured).toMatchObject({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: { status: "FAILED", stateMachineArn: pipeline.stateMachineArn },
    });
    expect(JSON.parse(captured.detail.input)).toEqual(sampleEvent("evt-not-json", "{not json"));
  });

  test("a permanent DynamoDB failure ends in Job Failed with the real error, not retried, and is captured", async () => {
    await pipeline.dynamoDBClient.send(new DeleteTableCommand({ TableName: pipeline.tableName }));
    try {
      const result = await pipeline.publish(sampleEvent("evt-db-down"));
      expect(result.execution).toMatchObject({
        status: "FAILED",
        states: ["Record Message", "Job Failed"],
        error: { name: "DynamoDBError" },
        attempts: 1,
      });
      expect(JSON.parse(result.execution!.error!.cause)).toMatchObject({
        statusCode: 500,
        error: "DynamoDBError",
        messageId: "evt-db-down",
      });
      expect(capturedEventIds(pipeline, pipeline.queueNames.failedExecutions)).toContain("evt-db-down");
    } finally {
      await createTable(pipeline.dynamoDBClient, {
        name: pipeline.tableName,
        hash_key: "messageId",
        attribute: [{ name: "messageId", type: "S" }],
      });
    }
  });
});

describe("POST /messages through the REST API's model and mapping templates", () => {
  test("a posted message is published and recorded; the caller gets 200 with the event id", async () => {
    const result = await pipeline.postMessage(
      JSON.stringify({ message: JSON.stringify({ from: "api", n: 12345678901234567890n.toString() }) }),
    );
    expect(result).toMatchObject({
      status: 200,
      body: { accepted: true, eventId: result.eventId },
      matched: true,
      execution: { status: "SUCCEEDED" },
    });
    expect((await pipeline.storedItem(result.eventId!))?.event).toEqual({ S: '{"from":"api","n":"12345678901234567890"}' });
  });

  test("a message with quotes, slashes and non-ASCII characters is stored as it was sent", async () => {
    const message = '{"text": "it\'s a/b \\"quoted\\" caf\u00e9 \ud83d\ude00"}';
    const result = await pipeline.postMessage(JSON.stringify({ message }));
    expect(result.status).toBe(200);
    expect((await pipeline.storedItem(result.eventId!))?.event).toEqual({ S: message });
  });

  test.each([
    ["a body that is not JSON", "hello", "Invalid request body"],
    ["a body without message", JSON.stringify({ text: "hi" }), "message"],
    ["a message that is not a string", JSON.stringify({ message: { hello: "world" } }), "must be string"],
    ["a message that is not a JSON object or array", JSON.stringify({ message: "hello" }), "must match pattern"],
    ["an extra property", JSON.stringify({ message: "{}", other: 1 }), "must NOT have additional properties"],
    [
      "a message over 32,768 characters",
      JSON.stringify({ message: `[${"1,".repeat(16_384)}1]` }),
      "must NOT have more than 32768 characters",
    ],
  ])("rejects %s with 400 before anything is published", async (_case, body, reason) => {
    const before = pipeline.queues.messages(pipeline.queueNames.failedExecutions!).length;
    const result = await pipeline.postMessage(body);
    expect(result).toMatchObject({ status: 400, matched: false, body: { accepted: false, errorCode: "BadRequestBody" } });
    expect((result.body as { errorMessage: string }).errorMessage).toContain(reason);
    expect(result.execution).toBeUndefined();
    expect(pipeline.queues.messages(pipeline.queueNames.failedExecutions!).length).toBe(before);
  });

  test("rejects a body that is not application/json with 415", async () => {
    expect(await pipeline.postMessage('{"message": "{}"}', "text/plain")).toMatchObject({ status: 415, matched: false });
  });

  test("a PutEvents that rejects the entry (throttled) answers 503 with EventBridge's error code, and nothing is published", async () => {
    pipeline.faults.add("throttlePutEvents", "*", 1);
    const result = await pipeline.postMessage(JSON.stringify({ message: '{"x": 1}' }));
    expect(result).toMatchObject({ status: 503, matched: false, body: { accepted: false, errorCode: "ThrottlingException" } });
    expect(result.eventId).toBeUndefined();
  });
});

describe("faults injected at the endpoints: recorded exactly once, or captured", () => {
  let faulty: LocalPipeline;
  const published: string[] = [];
  const publish = async (id: string) => {
    published.push(id);
    return faulty.publish(sampleEvent(id));
  };

  beforeAll(async () => {
    faulty = await LocalPipeline.start({ stackDir, faults: new FaultPlan(), retryIntervalMs: 0 });
  });
  afterAll(async () => faulty?.close());

  test("DynamoDB throttling longer than the SDK's retries: retried by the state machine, recorded once, SUCCEEDED", async () => {
    faulty.faults.add("throttlePutItem", "f-throttled", 3);
    const result = await publish("f-throttled");
    expect(result.execution).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(faulty.faults.injected.throttlePutItem).toBe(3);
    expect(await faulty.storedItem("f-throttled")).toBeDefined();
  });

  test("SendTaskSuccess failing with 5xx past the SDK's retries after the write: retried, answered as a duplicate, SUCCEEDED", async () => {
    faulty.faults.add("failSendTaskSuccess", "f-callback", 3);
    const result = await publish("f-callback");
    expect(result.execution).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(result.execution!.output).toMatchObject({
      recordResult: { Payload: { putStatus: { messageId: "f-callback", duplicate: true } } },
    });
  });

  test("a recorder that dies after its write: retried as Lambda.Unknown, recorded once, SUCCEEDED", async () => {
    faulty.faults.add("crashAfterWrite", "f-crash", 1);
    const result = await publish("f-crash");
    expect(result.execution).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(result.execution!.events.find((e) => e.type === "StateRetried" || e.Error === "Lambda.Unknown")).toBeDefined();
  });

  test("a recorder that always dies: the execution ends FAILED within its timeout after every retry, and is captured", async () => {
    faulty.faults.add("recorderCrash", "f-dead", Number.POSITIVE_INFINITY);
    const started = Date.now();
    const result = await publish("f-dead");
    expect(result.execution).toMatchObject({
      status: "FAILED",
      error: { name: "Lambda.Unknown" },
      attempts: 4,
      states: ["Record Message", "Job Failed"],
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await faulty.storedItem("f-dead")).toBeUndefined();
    expect(capturedEventIds(faulty, faulty.queueNames.failedExecutions)).toContain("f-dead");
  });

  test("StartExecution refused past the target's retries: the event is dead-lettered with the rule and target", async () => {
    faulty.faults.add("failStartExecution", "f-unstarted", 4);
    expect(await publish("f-unstarted")).toEqual({ matched: true, deadLettered: true });
    const [message] = faulty.queues.messages(faulty.queueNames.deadLetter!);
    expect(JSON.parse(message.Body)).toEqual(sampleEvent("f-unstarted"));
    expect(message.attributes.TARGET_ARN).toBe(faulty.stateMachineArn);
  });

  test("in every case, recorded + captured equals published", async () => {
    const recorded = (await Promise.all(published.map((id) => faulty.storedItem(id)))).filter(Boolean).length;
    const captured = new Set([
      ...capturedEventIds(faulty, faulty.queueNames.failedExecutions),
      ...capturedEventIds(faulty, faulty.queueNames.deadLetter),
    ]);
    expect(published).toHaveLength(5);
    expect(recorded + captured.size).toBe(published.length);
    expect(recorded).toBe(3);
  });
});

describe("a recorder that never calls back", () => {
  let shortPipeline: LocalPipeline;

  beforeAll(async () => {
    const outdir = synthAppToDisk({
      env: { RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "13", RECORDER_TASK_TIMEOUT_SECONDS: "2", RECORDER_LAMBDA_TIMEOUT_SECONDS: "1" },
    });
    // The function "dies" before its callback: it is invoked and returns without answering the token.
    shortPipeline = await LocalPipeline.start({
      stackDir: path.join(outdir, "stacks", "message-recorder-dev"),
      invokeFunction: () => Promise.resolve(undefined),
    });
  });
  afterAll(async () => shortPipeline?.close());

  test("ends failed by the task timeout through Job Failed, not stuck and not by the machine timeout", async () => {
    const result = await shortPipeline.publish(sampleEvent("evt-silent"));
    // TIMED_OUT would mean the whole execution hit its own timeout: the task timeout must fire first.
    expect(result.execution).toMatchObject({
      status: "FAILED",
      states: ["Record Message", "Job Failed"],
      error: { name: "States.Timeout" },
    });
    expect(await shortPipeline.storedItem("evt-silent")).toBeUndefined();
    expect(capturedEventIds(shortPipeline, shortPipeline.queueNames.failedExecutions)).toEqual(["evt-silent"]);
  });
});
