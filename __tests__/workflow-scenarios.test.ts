import { DeleteTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import * as path from "node:path";
import { createTable } from "../scripts/local/dynamodb";
import { LocalPipeline } from "../scripts/local/pipeline";
import { synthAppToDisk } from "./support/synth";

/**
 * End to end, offline: everything comes from the synthesized stack (pattern, target, definition, archive,
 * table), executed by aws-local-stepfunctions with the real recorder from the zip, dynalite and a local
 * callback endpoint.
 */
const sampleEvent = (id: string, message = JSON.stringify({ hello: "world" })) => ({
  version: "0",
  id,
  "detail-type": "message",
  source: "com.devpost.commonevent",
  account: "000000000000",
  time: "2022-04-16T12:20:00Z",
  region: "us-east-1",
  resources: [],
  detail: { message },
});

let pipeline: LocalPipeline;
let stackDir: string;

beforeAll(async () => {
  stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
  pipeline = await LocalPipeline.start({ stackDir });
});
afterAll(async () => pipeline?.close());

const itemsWithId = async (messageId: string) =>
  (await pipeline.dynamoDBClient.send(new ScanCommand({ TableName: pipeline.tableName }))).Items!.filter((i) => i.messageId.S === messageId);

describe("workflow scenarios against the synthesized stack", () => {
  test("a valid event ends in Job Succeed with the item stored", async () => {
    const result = await pipeline.publish(sampleEvent("evt-valid"));
    expect(result.matched).toBe(true);
    expect(result.execution).toMatchObject({ status: "SUCCEEDED", states: ["Record Message", "Check Status?", "Job Succeed"] });
    expect(result.execution!.output).toMatchObject({
      recordResult: { StatusCode: 200, Payload: { statusCode: 200, putStatus: { messageId: "evt-valid", duplicate: false } } },
    });
    expect(await pipeline.storedItem("evt-valid")).toEqual({
      messageId: { S: "evt-valid" }, createdAt: { N: "1650111600000" }, event: { S: "{\"hello\":\"world\"}" },
    });
  });

  test("the same event twice ends in success both times with one item", async () => {
    const first = await pipeline.publish(sampleEvent("evt-twice"));
    const second = await pipeline.publish(sampleEvent("evt-twice"));
    expect(first.execution!.status).toBe("SUCCEEDED");
    expect(second.execution!.status).toBe("SUCCEEDED");
    expect(second.execution!.output).toMatchObject({ recordResult: { Payload: { putStatus: { duplicate: true } } } });
    expect(await itemsWithId("evt-twice")).toHaveLength(1);
  });

  test("an event from another source starts nothing", async () => {
    const result = await pipeline.publish({ ...sampleEvent("evt-other"), source: "com.example.other" });
    expect(result).toEqual({ matched: false });
    expect(await pipeline.storedItem("evt-other")).toBeUndefined();
  });

  test("an event on another bus starts nothing", async () => {
    expect(await pipeline.publish(sampleEvent("evt-bus"), "default")).toEqual({ matched: false });
  });

  test("a detail.message that is not JSON ends failed, nothing stored, nothing waiting", async () => {
    const before = pipeline.callbacksReceived.length;
    const result = await pipeline.publish(sampleEvent("evt-not-json", "{not json"));
    expect(result.execution!.status).toBe("FAILED");
    expect(result.execution!.states[0]).toBe("Record Message");
    expect(await pipeline.storedItem("evt-not-json")).toBeUndefined();
    expect(pipeline.callbacksReceived.length).toBe(before);
  });

  test("a message posted to the API, as its integration builds the event, is recorded", async () => {
    const result = await pipeline.postMessage(JSON.stringify({ message: JSON.stringify({ from: "api" }) }));
    expect(result).toMatchObject({ accepted: true, matched: true, execution: { status: "SUCCEEDED" } });
    expect((await pipeline.storedItem(result.eventId!))?.event).toEqual({ S: "{\"from\":\"api\"}" });
  });

  test("a posted body that is not JSON is refused before the bus; one without a JSON message fails and stores nothing", async () => {
    expect(await pipeline.postMessage("hello")).toEqual({ accepted: false, matched: false });
    const noMessage = await pipeline.postMessage(JSON.stringify({ text: "hi" }));
    expect(noMessage).toMatchObject({ accepted: true, matched: true, execution: { status: "FAILED" } });
    expect(await pipeline.storedItem(noMessage.eventId!)).toBeUndefined();
  });

  test("a DynamoDB failure ends in Job Failed with the error visible in the output", async () => {
    await pipeline.dynamoDBClient.send(new DeleteTableCommand({ TableName: pipeline.tableName }));
    try {
      const result = await pipeline.publish(sampleEvent("evt-db-down"));
      expect(result.execution).toMatchObject({ status: "FAILED", states: ["Record Message", "Job Failed"], error: { name: "RecordMessageFailed" } });
      const error = (result.execution!.finalStateInput as { error: { Error: string; Cause: string } }).error;
      expect(error.Error).toBe("DynamoDBError");
      expect(JSON.parse(error.Cause)).toMatchObject({ statusCode: 500, error: "DynamoDBError", messageId: "evt-db-down" });
    } finally {
      await createTable(pipeline.dynamoDBClient, { name: pipeline.tableName, hash_key: "messageId", attribute: [{ name: "messageId", type: "S" }] });
    }
  });
});

describe("a recorder that never calls back", () => {
  let shortPipeline: LocalPipeline;

  beforeAll(async () => {
    const outdir = synthAppToDisk({
      env: { RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "4", RECORDER_TASK_TIMEOUT_SECONDS: "2", RECORDER_LAMBDA_TIMEOUT_SECONDS: "1" },
    });
    // The function "dies" before its callback: it is invoked and returns without answering the token.
    shortPipeline = await LocalPipeline.start({ stackDir: path.join(outdir, "stacks", "message-recorder-dev"), invokeRecorder: async () => undefined });
  });
  afterAll(async () => shortPipeline?.close());

  test("ends failed by the task timeout through Job Failed, not stuck and not by the machine timeout", async () => {
    const result = await shortPipeline.publish(sampleEvent("evt-silent"));
    // TIMED_OUT would mean the whole execution hit its own timeout: the task timeout must fire first.
    expect(result.execution).toMatchObject({ status: "FAILED", states: ["Record Message", "Job Failed"] });
    expect((result.execution!.finalStateInput as { error: { Error: string } }).error.Error).toBe("States.Timeout");
    expect(await shortPipeline.storedItem("evt-silent")).toBeUndefined();
  });
});
