import { createServer, request, Server } from "node:http";
import { AddressInfo } from "node:net";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { MESSAGE_KEY } from "../stacks/constructs/messages-table";
import { createTable, getMessage, LOCAL_AWS, LocalDynamoDB, startDynamoDB } from "../scripts/local/dynamodb";
import { Handler, loadHandlerFromArchive } from "../scripts/local/lambda-archive";
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
let proxy: Server;
/** Requests the proxy in front of dynalite answers with DynamoDB's retryable 500 before passing them on. */
let failNextDynamoDBRequests = 0;
let dynamoDBRequests = 0;

/** Passes requests through to dynalite, or fails them the way DynamoDB fails transiently. */
async function startFlakyProxy(target: string): Promise<string> {
  const { hostname, port } = new URL(target);
  proxy = createServer((req, res) => {
    dynamoDBRequests++;
    if (failNextDynamoDBRequests > 0) {
      failNextDynamoDBRequests--;
      req.resume();
      res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "injected transient failure" }));
      return;
    }
    const upstream = request({ hostname, port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

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
    AWS_ENDPOINT_URL_DYNAMODB: await startFlakyProxy(dynamodb.endpoint),
    AWS_ENDPOINT_URL_SFN: callbacks.endpoint,
    AWS_LAMBDA_LOG_LEVEL: "FATAL",
  });
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await dynamodb?.close();
  await callbacks?.close();
});

function task(record: Record<string, unknown>) {
  const token = `token-${++tokenCount}`;
  return { token, outcome: callbacks.waitFor(token).catch((error: Error) => error), input: { MyTaskToken: token, Record: record } };
}

const record = (messageId: string) => ({ messageId, createdAt: "2022-04-16T12:20:00Z", event: { hello: "world" } });

describe("recorder from the built archive against dynalite", () => {
  test("stores the item with the design's attribute types and completes the task with statusCode 200", async () => {
    const { input, outcome, token } = task(record("it-1"));
    await handler(input);
    expect(await outcome).toEqual({ statusCode: 200, putStatus: { messageId: "it-1", createdAt: 1650111600000, duplicate: false } });
    expect(await getMessage(dynamodb.client, TABLE, "it-1")).toEqual({
      messageId: { S: "it-1" }, createdAt: { N: "1650111600000" }, event: { S: "{\"hello\":\"world\"}" },
    });
    expect(callbacks.received.filter((c) => c.taskToken === token)).toHaveLength(1);
  });

  test("a second delivery of the same message succeeds as a duplicate and leaves the stored item unchanged", async () => {
    const first = task(record("it-dup"));
    await handler(first.input);
    await first.outcome;
    const again = task({ ...record("it-dup"), event: { hello: "changed" } });
    await handler(again.input);
    expect(await again.outcome).toMatchObject({ statusCode: 200, putStatus: { duplicate: true } });
    expect((await getMessage(dynamodb.client, TABLE, "it-dup"))?.event).toEqual({ S: "{\"hello\":\"world\"}" });
  });

  test("an invalid record fails the task with InvalidRecord and stores nothing", async () => {
    const { input, outcome } = task({ messageId: "it-bad", createdAt: "someday", event: {} });
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
    failNextDynamoDBRequests = 1;
    const before = dynamoDBRequests;
    await handler(input);
    expect(await outcome).toMatchObject({ statusCode: 200, putStatus: { messageId: "it-ddb-retry", duplicate: false } });
    expect(dynamoDBRequests - before).toBe(2);
    expect(await getMessage(dynamodb.client, TABLE, "it-ddb-retry")).toBeDefined();
  });

  test("DynamoDB failing past the SDK's 2 attempts fails the invocation transiently; the retried task records it once", async () => {
    const first = task(record("it-ddb-outage"));
    failNextDynamoDBRequests = 3;
    await expect(handler(first.input)).rejects.toMatchObject({ name: "RecorderTransientError", message: expect.stringMatching(/^PutItem failed transiently: InternalServerError/) });
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
    await expect(handler(first.input)).rejects.toMatchObject({ name: "RecorderTransientError", message: expect.stringMatching(/^SendTaskSuccess failed transiently/) });
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
      expect(JSON.parse(error.message)).toMatchObject({ statusCode: 500, error: "DynamoDBError", message: expect.stringMatching(/^ResourceNotFoundException/) });
    } finally {
      await createTable(dynamodb.client, { name: TABLE, hash_key: MESSAGE_KEY.name, attribute: [{ ...MESSAGE_KEY }] });
    }
  });
});
