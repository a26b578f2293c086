import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, SFNServiceException, TaskTimedOut } from "@aws-sdk/client-sfn";
import { RecorderTransientError } from "../lambdas/recorder/faults";
import { mockClient } from "aws-sdk-client-mock";
import type { Context } from "aws-lambda";

process.env.MESSAGES_TABLE_NAME = "MessagesTable-test";
process.env.AWS_REGION = "us-east-1";
// As Lambda sets it for an on-demand execution environment; Powertools reports cold_start only then.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require("../lambdas/recorder/index") as typeof import("../lambdas/recorder/index");

const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const TOKEN = "secret-task-token";
const input = {
  MyTaskToken: TOKEN,
  Record: {
    messageId: "m-1",
    createdAt: "2022-04-16T12:20:00Z",
    event: { hello: "world", card: "4111-1111" },
    message: '{"hello": "world", "card": "4111-1111"}',
  },
};

let logLines: string[];
beforeEach(() => {
  dynamodb.reset();
  sfn.reset();
  dynamodb.on(PutItemCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  logLines = [];
  // Powertools writes INFO to stdout and WARN/ERROR to stderr; Lambda sends both to the function's log group.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

const callbacks = () => [
  ...sfn.commandCalls(SendTaskSuccessCommand).map((c) => ({ success: c.args[0].input })),
  ...sfn.commandCalls(SendTaskFailureCommand).map((c) => ({ failure: c.args[0].input })),
];

describe("recorder handler", () => {
  test("a valid record is put once, conditionally, and answered with SendTaskSuccess", async () => {
    const result = await handler(input);
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: "MessagesTable-test",
        Item: { messageId: { S: "m-1" }, createdAt: { N: "1650111600000" }, event: { S: input.Record.message } },
        ConditionExpression: "attribute_not_exists(messageId)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    ]);
    expect(callbacks()).toEqual([
      {
        success: {
          taskToken: TOKEN,
          output: JSON.stringify({ statusCode: 200, putStatus: { messageId: "m-1", createdAt: 1650111600000, duplicate: false } }),
        },
      },
    ]);
    expect(result).toMatchObject({ callback: "SendTaskSuccess", delivered: true });
  });

  const clash = (storedMessage?: string) =>
    new ConditionalCheckFailedException({
      message: "The conditional request failed",
      $metadata: {},
      ...(storedMessage !== undefined
        ? { Item: { messageId: { S: "m-1" }, createdAt: { N: "1650111600000" }, event: { S: storedMessage } } }
        : {}),
    });

  test("a duplicate delivery (the stored message has the same bytes) is a success flagged as duplicate, and nothing is overwritten", async () => {
    dynamodb.on(PutItemCommand).rejects(clash(input.Record.message));
    await handler(input);
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(1);
    const [answer] = callbacks();
    expect(JSON.parse((answer as { success: { output: string } }).success.output)).toEqual({
      statusCode: 200,
      putStatus: { messageId: "m-1", createdAt: 1650111600000, duplicate: true },
    });
  });

  test("another message under the same id fails the task with MessageConflict, naming the id, and overwrites nothing", async () => {
    dynamodb.on(PutItemCommand).rejects(clash('{"hello":"someone else"}'));
    await handler(input);
    const [answer, ...more] = callbacks() as Array<{ failure: { error: string; cause: string } }>;
    expect(more).toEqual([]);
    expect(answer.failure.error).toBe("MessageConflict");
    expect(JSON.parse(answer.failure.cause)).toEqual({
      statusCode: 500,
      error: "MessageConflict",
      messageId: "m-1",
      message: "m-1 is already recorded with another message (24 bytes stored, 39 bytes received); nothing was overwritten",
    });
    expect(logLines.join("")).toContain("another message is already recorded under this id");
  });

  test("a clash without the stored item (DynamoDB did not return it) fails with DynamoDBError instead of guessing", async () => {
    dynamodb.on(PutItemCommand).rejects(clash());
    await handler(input);
    const [answer] = callbacks() as Array<{ failure: { error: string; cause: string } }>;
    expect(answer.failure.error).toBe("DynamoDBError");
    expect(JSON.parse(answer.failure.cause).message).toBe(
      "ConditionalCheckFailed without the stored item for m-1: cannot tell a duplicate from a conflict",
    );
  });

  test.each([
    ["no messageId", { createdAt: "2022-04-16T12:20:00Z", event: {} }, "Record.messageId: missing or not a non-empty string"],
    [
      "an unparseable createdAt",
      { messageId: "m-1", createdAt: "not a date", event: {} },
      'Record.createdAt: "not a date" is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z',
    ],
    ["no message", { messageId: "m-1", createdAt: "2022-04-16T12:20:00Z" }, "Record.message: missing"],
    [
      "an impossible date",
      { messageId: "m-1", createdAt: "2022-02-30T00:00:00Z", message: "{}" },
      'Record.createdAt: "2022-02-30T00:00:00Z" is not a date that exists',
    ],
  ])("a record with %s fails the task with InvalidRecord before any write", async (_case, record, message) => {
    await handler({ MyTaskToken: TOKEN, Record: record });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    const [answer, ...more] = callbacks() as Array<{ failure: { taskToken: string; error: string; cause: string } }>;
    expect(more).toEqual([]);
    expect(answer.failure.taskToken).toBe(TOKEN);
    expect(answer.failure.error).toBe("InvalidRecord");
    expect(JSON.parse(answer.failure.cause)).toMatchObject({ statusCode: 500, error: "InvalidRecord", message });
  });

  test("a permanent DynamoDB error fails the task at once with DynamoDBError and what went wrong", async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ResourceNotFoundException({ message: "Requested resource not found", $metadata: { httpStatusCode: 400 } }));
    await handler(input);
    const [answer] = callbacks() as Array<{ failure: { error: string; cause: string } }>;
    expect(answer.failure.error).toBe("DynamoDBError");
    expect(JSON.parse(answer.failure.cause)).toEqual({
      statusCode: 500,
      error: "DynamoDBError",
      message: "ResourceNotFoundException: Requested resource not found",
      messageId: "m-1",
    });
  });

  test("throttling that outlasts the SDK's retries fails the invocation as transient, answering nothing", async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }));
    await expect(handler(input)).rejects.toThrow(RecorderTransientError);
    await expect(handler(input)).rejects.toThrow("PutItem failed transiently: ProvisionedThroughputExceededException: Rate exceeded");
    expect(callbacks()).toEqual([]);
  });

  test("a callback that fails transiently after the write fails the invocation, so the task is retried", async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(
        new SFNServiceException({ name: "ServiceUnavailable", $fault: "server", message: "try later", $metadata: { httpStatusCode: 503 } }),
      );
    await expect(handler(input)).rejects.toThrow("SendTaskSuccess failed transiently: ServiceUnavailable: try later");
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(1);
  });

  test("a refused callback is logged and never followed by a second callback", async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: "Task Timed Out", $metadata: {} }));
    const result = await handler(input);
    expect(callbacks()).toHaveLength(1);
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(result).toMatchObject({ callback: "SendTaskSuccess", delivered: false });
    expect(logLines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        message: "SendTaskSuccess was not accepted",
        messageId: "m-1",
        reason: "TaskTimedOut: Task Timed Out",
      }),
    );
  });

  test("without a token (EXPRESS, synchronous invoke) the answer is returned and nothing is called back", async () => {
    expect(await handler({ Record: input.Record })).toEqual({
      statusCode: 200,
      putStatus: { messageId: "m-1", createdAt: 1650111600000, duplicate: false },
    });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(sfn.calls()).toHaveLength(0);
  });

  test("without a token, a permanent failure is returned as the 500 answer, and a transient one still throws to be retried", async () => {
    const { event: _event, ...onlyRaw } = input.Record;
    expect(await handler({ Record: { ...onlyRaw, message: "{not json" } })).toEqual({
      statusCode: 500,
      error: "InvalidRecord",
      message: "Record.message: not JSON",
      messageId: "m-1",
    });
    dynamodb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }));
    await expect(handler({ Record: onlyRaw })).rejects.toThrow(RecorderTransientError);
    expect(sfn.calls()).toHaveLength(0);
  });

  test("every log line is JSON with the messageId, and holds neither the token nor the message body", async () => {
    await handler(input);
    await handler({ MyTaskToken: TOKEN, Record: { ...input.Record, createdAt: "bad" } });
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    for (const line of logLines) {
      const entry = JSON.parse(line);
      expect(entry).toMatchObject({ messageId: "m-1", level: expect.any(String), timestamp: expect.any(String) });
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain("4111-1111");
    }
  });

  test("with a Lambda context, log lines carry its request id, cold start, function name and the X-Ray trace id", async () => {
    // The only test that passes a context, so its first invocation is this module's cold start.
    process.env._X_AMZN_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1";
    try {
      await handler(input, lambdaContext("request-1"));
      const first = logLines.map((l) => JSON.parse(l));
      logLines.length = 0;
      await handler(input, lambdaContext("request-2"));
      const second = logLines.map((l) => JSON.parse(l));
      expect(first).toEqual([
        expect.objectContaining({
          messageId: "m-1",
          function_request_id: "request-1",
          cold_start: true,
          function_name: "recorder-test",
          xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
        }),
      ]);
      expect(second).toEqual([expect.objectContaining({ messageId: "m-1", function_request_id: "request-2", cold_start: false })]);
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
  });
});

function lambdaContext(awsRequestId: string): Context {
  const unused = () => {
    throw new Error("not used by the recorder");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "recorder-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:recorder-test",
    memoryLimitInMB: "256",
    awsRequestId,
    logGroupName: "/aws/lambda/recorder-test",
    logStreamName: "2026/11/28/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 5000,
    done: unused,
    fail: unused,
    succeed: unused,
  };
}
