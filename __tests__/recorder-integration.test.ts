import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { MESSAGE_KEY } from "../stacks/constructs/messages-table";
import { createTable, getMessage, LOCAL_AWS, LocalDynamoDB, startDynamoDB } from "../scripts/local/dynamodb";
import { Handler, loadHandlerFromArchive } from "../scripts/local/lambda-archive";
import { DynamoDBFaultProxy, FaultPlan } from "../scripts/local/faults";
import { TaskCallbackEndpoint, TaskFailedError } from "../scripts/local/task-callbacks";
import { testArchive } from "./support/synth";

/**
 * The recorder as deployed: loaded from the built zip, talking through the real AWS SDK to dynalite and to a
 * local SendTaskSuccess/SendTaskFailure endpoint.
 */
const TABLE = "MessagesTable-it";
let dynamodb: LocalDynamoDB;
let callbacks: TaskCallbackEndpoint;
let handler: Handler;
let tokenCount = 0;
/** The offline pipeline's DynamoDB proxy: faults, and the stored item with a failed conditional put, as DynamoDB answers. */
let proxy: DynamoDBFaultProxy;
const faults = new FaultPlan();

beforeAll(async () => {
  dynamodb = await startDynamoDB();
  callbacks = await TaskCallbackEndpoint.start();
  await createTable(dynamodb.client, { name: TABLE, hash_key: MESSAGE_KEY.name, attribute: [{ ...MESSAGE_KEY }] });
  const archive = testArchive();
  handler = loadHandlerFromArchive(archive.zipPath, archive.handler, {
    MESSAGES_TABLE_NAME: TABLE,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: (proxy = await DynamoDBFaultProxy.start(dynamodb.endpoint, faults)).endpoint,
    AWS_ENDPOINT_URL_SFN: callbacks.endpoint,
    AWS_LAMBDA_LOG_LEVEL: "FATAL",
  });
});
afterAll(async () => {
  await proxy?.close();
  await dynamodb?.close();
  await callbacks?.close();
});

function task(record: Record<string, unknown>) {
  const token = `token-${++tokenCount}`;
  return { token, outcome: callbacks.waitFor(token).catch((error: Error) => error), input: { MyTaskToken: token, Record: record } };
}

const record = (messageId: string) => ({ messageId, createdAt: "2022-04-16T12:20:00Z", message: '{"hello":"world"}' });

describe("recorder from the built archive against dynalite", () => {
  test("stores the item with the design's attribute types and completes the task with statusCode 200", async () => {
    const { input, outcome, token } = task(record("it-1"));
    await handler(input);
    expect(await outcome).toEqual({ statusCode: 200, putStatus: { messageId: "it-1", createdAt: 1650111600000, duplicate: false } });
    expect(await getMessage(dynamodb.client, TABLE, "it-1")).toEqual({
      messageId: { S: "it-1" },
      createdAt: { N: "1650111600000" },
      event: { S: '{"hello":"world"}' },
    });
    expect(callbacks.received.filter((c) => c.taskToken === token)).toHaveLength(1);
  });

  test("a second delivery of the same message succeeds as a duplicate and leaves the stored item unchanged", async () => {
    const first = task(record("it-dup"));
    await handler(first.input);
    await first.outcome;
    const again = task(record("it-dup"));
    await handler(again.input);
    expect(await again.outcome).toMatchObject({ statusCode: 200, putStatus: { duplicate: true } });
    expect((await getMessage(dynamodb.client, TABLE, "it-dup"))?.event).toEqual({ S: '{"hello":"world"}' });
  });

  test("another message under a recorded id fails the task with MessageConflict naming the id, and the stored item stays", async () => {
    const first = task(record("it-conflict"));
    await handler(first.input);
    await first.outcome;
    const other = task({ ...record("it-conflict"), message: '{"hello":"changed"}' });
    await handler(other.input);
    const error = (await other.outcome) as TaskFailedError;
    expect(error.name).toBe("MessageConflict");
    expect(JSON.parse(error.message)).toMatchObject({
      statusCode: 500,
      error: "MessageConflict",
      messageId: "it-conflict",
      message: expect.stringMatching(/^it-conflict is already recorded with another message/),
    });
    expect((await getMessage(dynamodb.client, TABLE, "it-conflict"))?.event).toEqual({ S: '{"hello":"world"}' });
  });

  test("the same meaning in other bytes (whitespace) is a conflict: what is stored is compared byte for byte", async () => {
    const first = task({ ...record("it-spaces"), message: '{"a": 1}' });
    await handler(first.input);
    await first.outcome;
    const spaced = task({ ...record("it-spaces"), message: '{"a":1}' });
    await handler(spaced.input);
    expect(((await spaced.outcome) as TaskFailedError).name).toBe("MessageConflict");
  });

  test("an invalid record fails the task with InvalidRecord and stores nothing", async () => {
    const { input, outcome } = task({ messageId: "it-bad", createdAt: "someday", message: "{}" });
    await handler(input);
    const error = (await outcome) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.name).toBe("InvalidRecord");
    expect(JSON.parse(error.message)).toMatchObject({ statusCode: 500, error: "InvalidRecord", messageId: "it-bad" });
    expect(await getMessage(dynamodb.client, TABLE, "it-bad")).toBeUndefined();
  });

  test("a transient callback failure is retried by the SDK and the task is answered exactly once", async () => {
    const { input, outcome, token } = task(record("it-retry"));
    callbacks.failNextRequests(1);
    const result = await handler(input);
    expect(await outcome).toMatchObject({ statusCode: 200 });
    expect(result).toMatchObject({ delivered: true });
    expect(callbacks.received.filter((c) => c.taskToken === token)).toHaveLength(1);
  });

  test("a transient DynamoDB error is retried by the SDK and the message is stored once", async () => {
    const { input, outcome } = task(record("it-ddb-retry"));
    faults.add("failDynamoDB", "*", 1);
    const before = faults.injected.failDynamoDB;
    await handler(input);
    expect(await outcome).toMatchObject({ statusCode: 200, putStatus: { messageId: "it-ddb-retry", duplicate: false } });
    expect(faults.injected.failDynamoDB - before).toBe(1);
    expect(await getMessage(dynamodb.client, TABLE, "it-ddb-retry")).toBeDefined();
  });

  test("DynamoDB failing past the SDK's 2 attempts fails the invocation transiently; the retried task records it once", async () => {
    const first = task(record("it-ddb-outage"));
    faults.add("failDynamoDB", "*", 3);
    await expect(handler(first.input)).rejects.toMatchObject({
      name: "RecorderTransientError",
      message: expect.stringMatching(/^PutItem failed transiently: InternalServerError/),
    });
    expect(callbacks.received.filter((c) => c.taskToken === first.token)).toEqual([]);
    expect(await getMessage(dynamodb.client, TABLE, "it-ddb-outage")).toBeUndefined();
    const retry = task(record("it-ddb-outage"));
    await handler(retry.input);
    expect(await retry.outcome).toMatchObject({ statusCode: 200, putStatus: { duplicate: false } });
    expect(await getMessage(dynamodb.client, TABLE, "it-ddb-outage")).toBeDefined();
  });

  test("a callback failing past the SDK's attempts after the write fails the invocation; the retry answers success as a duplicate", async () => {
    const first = task(record("it-callback-outage"));
    callbacks.failNextRequests(3);
    await expect(handler(first.input)).rejects.toMatchObject({
      name: "RecorderTransientError",
      message: expect.stringMatching(/^SendTaskSuccess failed transiently/),
    });
    expect(await getMessage(dynamodb.client, TABLE, "it-callback-outage")).toBeDefined();
    const retry = task(record("it-callback-outage"));
    await handler(retry.input);
    expect(await retry.outcome).toMatchObject({ statusCode: 200, putStatus: { messageId: "it-callback-outage", duplicate: true } });
  });

  test("a callback for a timed-out task is refused and not followed by another callback", async () => {
    const { input, token } = task(record("it-late"));
    callbacks.expire(token);
    const result = await handler(input);
    expect(result).toMatchObject({ callback: "SendTaskSuccess", delivered: false });
    expect(callbacks.received.filter((c) => c.taskToken === token).map((c) => c.kind)).toEqual(["SendTaskSuccess"]);
  });

  test("a DynamoDB error (the table is gone) fails the task with DynamoDBError", async () => {
    const other = "MessagesTable-gone";
    await createTable(dynamodb.client, { name: other, hash_key: "messageId", attribute: [{ name: "messageId", type: "S" }] });
    await dynamodb.client.send(new DeleteTableCommand({ TableName: TABLE }));
    try {
      const { input, outcome } = task(record("it-no-table"));
      await handler(input);
      const error = (await outcome) as TaskFailedError;
      expect(error.name).toBe("DynamoDBError");
      expect(JSON.parse(error.message)).toMatchObject({
        statusCode: 500,
        error: "DynamoDBError",
        message: expect.stringMatching(/^ResourceNotFoundException/),
      });
    } finally {
      await createTable(dynamodb.client, { name: TABLE, hash_key: MESSAGE_KEY.name, attribute: [{ ...MESSAGE_KEY }] });
    }
  });
});
