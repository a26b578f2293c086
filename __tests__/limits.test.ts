import * as path from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { AWS_LIMITS, executionNameProblem, putEventsEntryBytes, utf8Bytes } from "../scripts/local/aws-limits";
import { LOCAL_AWS } from "../scripts/local/dynamodb";
import { LocalPipeline } from "../scripts/local/pipeline";
import { LocalStateMachine } from "../scripts/local/state-machine";
import { TaskCallbackEndpoint } from "../scripts/local/task-callbacks";
import { MAX_MESSAGE_CHARACTERS, messageRefusal } from "../stacks/constructs/put-events-templates";
import { synthAppToDisk } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * Each AWS limit the offline pipeline enforces, at its boundary (scripts/local/aws-limits.ts cites the pages), and
 * the largest message each entry point records end to end, in both workflow types, with 4-byte characters.
 */
const FOUR_BYTES = "\u{1F600}";
const event = (id: string, message: string) => messageEvent(id, { detail: { message } });
/** A JSON array message of exactly `bytes` UTF-8 bytes, of 4-byte characters and ASCII to make up the rest. */
const messageOfBytes = (bytes: number) => {
  const room = bytes - 4; // ["..."]
  return `["${FOUR_BYTES.repeat(Math.floor(room / 4))}${"x".repeat(room % 4)}"]`;
};
const eventBytes = (e: unknown) => utf8Bytes(JSON.stringify(e));

describe.each(["standard", "express"])("limits of a %s workflow, offline", (workflowType) => {
  let pipeline: LocalPipeline;
  let largestTaskInput = 0;

  beforeAll(async () => {
    const stackDir = path.join(synthAppToDisk({ env: { RECORDER_WORKFLOW_TYPE: workflowType } }), "stacks", "message-recorder-dev");
    pipeline = await LocalPipeline.start({
      stackDir,
      retryIntervalMs: 0,
      invokeFunction: (payload, invoke) => {
        largestTaskInput = Math.max(largestTaskInput, utf8Bytes(JSON.stringify(payload)));
        return invoke(payload);
      },
    });
  });
  afterAll(async () => pipeline?.close());

  /** What the Record Message state adds to the event (its recordResult): the event may use the rest of 256 KiB. */
  const resultOverhead = async (id: string) => {
    const small = event(id, "{}");
    const result = await pipeline.publish(small);
    expect(result.execution!.status).toBe("SUCCEEDED");
    return eventBytes(result.execution!.output) - eventBytes(small);
  };

  test("a 200 KB message put on the bus is recorded byte for byte, and the task payload stays under 256 KiB", async () => {
    const message = messageOfBytes(200 * 1024);
    largestTaskInput = 0;
    const result = await pipeline.publish(event(`big-200k-${workflowType}`, message));
    expect(result.execution!.status).toBe("SUCCEEDED");
    expect((await pipeline.storedItem(`big-200k-${workflowType}`))!.event).toEqual({ S: message });
    expect(largestTaskInput).toBeGreaterThan(200 * 1024);
    expect(largestTaskInput).toBeLessThan(AWS_LIMITS.stepFunctionsPayloadBytes);
  });

  test("the largest message through PutEvents: an event that fills 256 KiB with the task's result is recorded; one byte more fails with States.DataLimitExceeded, which no Catch sees", async () => {
    const id = `edge-${workflowType}`.padEnd(36, "0");
    // Measured on another event whose id has the same length: the same id with another message is a conflict.
    const overhead = await resultOverhead(`${id.slice(0, -1)}9`);
    const envelope = eventBytes(event(id, ""));
    // The message appears in the event as a JSON string: its quotes are escaped, two bytes more than itself.
    const largest = AWS_LIMITS.stepFunctionsPayloadBytes - overhead - envelope - 2;
    const fits = messageOfBytes(largest);
    expect(eventBytes(event(id, fits)) + overhead).toBe(AWS_LIMITS.stepFunctionsPayloadBytes);
    const recorded = await pipeline.publish(event(id, fits));
    expect(recorded.execution!.error).toBeUndefined();
    expect(recorded.execution!.status).toBe("SUCCEEDED");
    expect((await pipeline.storedItem(id))!.event).toEqual({ S: fits });

    const over = `${id.slice(0, -1)}1`;
    const result = await pipeline.publish(event(over, messageOfBytes(largest + 1)));
    expect(result.execution).toMatchObject({ status: "FAILED", error: { name: "States.DataLimitExceeded" } });
    expect(result.execution!.states).not.toContain("Job Failed");
    expect(result.execution!.states).not.toContain("Capture Failure");
    // The limit as docs/architecture.md states it: about 261,700 bytes for a message through PutEvents.
    expect(largest).toBeGreaterThan(261_000);
  });

  test("POST /messages records its largest message, 32,768 characters of 4 bytes (131,072 UTF-8 bytes), and refuses one more character", async () => {
    const characters = MAX_MESSAGE_CHARACTERS - 4; // ["..."] are four of them
    const message = `["${FOUR_BYTES.repeat(characters)}"]`;
    expect([...message]).toHaveLength(MAX_MESSAGE_CHARACTERS);
    expect(utf8Bytes(message)).toBe(4 * characters + 4);
    const accepted = await pipeline.postMessage(JSON.stringify({ message }));
    expect(accepted).toMatchObject({ status: 200, execution: { status: "SUCCEEDED" } });
    expect((await pipeline.storedItem(accepted.eventId!))!.event).toEqual({ S: message });
    const refused = await pipeline.postMessage(JSON.stringify({ message: `["${FOUR_BYTES.repeat(characters + 1)}"]` }));
    expect(refused.status).toBe(400);
  });
});

describe("npm run send's rule is POST /messages' rule, in the same unit (characters, as the model counts them)", () => {
  test("accepts 32,768 characters of 4 bytes and refuses one more", () => {
    expect(messageRefusal(`["${FOUR_BYTES.repeat(MAX_MESSAGE_CHARACTERS - 4)}"]`)).toBeUndefined();
    expect(messageRefusal(`["${FOUR_BYTES.repeat(MAX_MESSAGE_CHARACTERS - 3)}"]`)).toBe(
      `must be at most ${MAX_MESSAGE_CHARACTERS} characters, as POST /messages accepts; got ${MAX_MESSAGE_CHARACTERS + 1}`,
    );
  });
});

describe("each limit at its boundary, at the offline endpoints", () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await LocalPipeline.start({ stackDir: path.join(synthAppToDisk(), "stacks", "message-recorder-dev"), retryIntervalMs: 0 });
  });
  afterAll(async () => pipeline?.close());
  const client = <T>(Client: new (config: object) => T, endpoint: string) => new Client({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });

  test("PutEvents: an entry of 262,144 bytes, as EventBridge counts it, is accepted; one byte more is refused", async () => {
    const events = client(EventBridgeClient, pipeline.endpoints.events);
    const entry = (detailBytes: number) => ({
      EventBusName: "unmatched-bus",
      Source: "limits.test",
      DetailType: "t",
      Detail: JSON.stringify({ m: "x".repeat(detailBytes - 8) }),
    });
    const exact = entry(AWS_LIMITS.putEventsEntryBytes - utf8Bytes("limits.test") - 1);
    expect(putEventsEntryBytes(exact)).toBe(AWS_LIMITS.putEventsEntryBytes);
    expect(await events.send(new PutEventsCommand({ Entries: [exact] }))).toMatchObject({ FailedEntryCount: 0 });
    const over = entry(AWS_LIMITS.putEventsEntryBytes - utf8Bytes("limits.test"));
    await expect(events.send(new PutEventsCommand({ Entries: [over] }))).rejects.toMatchObject({ name: "ValidationException" });
  });

  test("StartExecution: an input of 262,144 bytes starts; one byte more is refused with a ValidationException", async () => {
    const sfn = client(SFNClient, pipeline.endpoints.sfn);
    const input = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes - 10) });
    expect(utf8Bytes(input(AWS_LIMITS.stepFunctionsPayloadBytes))).toBe(AWS_LIMITS.stepFunctionsPayloadBytes);
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: pipeline.stateMachineArn,
          name: "limit-exact",
          input: input(AWS_LIMITS.stepFunctionsPayloadBytes),
        }),
      ),
    ).resolves.toMatchObject({ executionArn: expect.any(String) });
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: pipeline.stateMachineArn,
          name: "limit-over",
          input: input(AWS_LIMITS.stepFunctionsPayloadBytes + 1),
        }),
      ),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await pipeline.settled();
  });

  test("execution names: 80 characters are allowed, 81 are not, nor a character the API forbids", async () => {
    expect(executionNameProblem("n".repeat(80))).toBeUndefined();
    expect(executionNameProblem("n".repeat(81))).toBe("must be 1 to 80 characters, has 81");
    expect(executionNameProblem("a:b")).toBe("contains a character execution names must not contain");
    expect(executionNameProblem("é-ok")).toBeUndefined();
    const sfn = client(SFNClient, pipeline.endpoints.sfn);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: pipeline.stateMachineArn, name: "n".repeat(81), input: "{}" })),
    ).rejects.toMatchObject({ name: "InvalidName" });
  });

  test("SQS: a message of 262,144 bytes is accepted by a queue of the default size; one byte more is refused", async () => {
    const sqs = client(SQSClient, pipeline.endpoints.sqs);
    const url = pipeline.queues.url(pipeline.queueNames.deadLetter!);
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(AWS_LIMITS.sqsDefaultMaximumMessageBytes) })),
    ).resolves.toMatchObject({ MessageId: expect.any(String) });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(AWS_LIMITS.sqsDefaultMaximumMessageBytes + 1) })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    pipeline.queues.purge(pipeline.queueNames.deadLetter!);
  });

  test("an event over Step Functions' input limit goes straight to the DLQ, which cannot take it either (SQS counts the attributes too): it is counted as lost", async () => {
    // The same 256 KiB bound, and the DLQ message adds EventBridge's attributes: such an event is lost unless the
    // bus archives it (the rule-dlq-failures alarm says so).
    for (const id of ["limit-dlq", "limit-dlq-2"]) {
      const tooBig = event(id, messageOfBytes(AWS_LIMITS.stepFunctionsPayloadBytes - (id === "limit-dlq" ? 0 : 200)));
      expect(eventBytes(tooBig)).toBeGreaterThan(AWS_LIMITS.stepFunctionsPayloadBytes);
      const delivered = await pipeline.putEvent(tooBig);
      expect(delivered.find((d) => d.target.kind === "state-machine")).toMatchObject({ deadLetterFailed: true });
    }
    expect(pipeline.failedToDeadLetter.map((f) => f.eventId)).toEqual(["limit-dlq", "limit-dlq-2"]);
  });
});

describe("States.* errors as Step Functions raises them", () => {
  const machine = (definition: object, callbacks: TaskCallbackEndpoint) =>
    new LocalStateMachine({
      stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:errors",
      definition: definition as never,
      callbacks,
      resolveFunction: () => "arn:aws:lambda:us-east-1:000000000000:function:f",
      invoke: () => Promise.resolve({}),
    });
  /** A task whose payload template is the parameters, with a Catch of States.ALL that must not see the error. */
  const caught = (payload: object) => ({
    StartAt: "Parse",
    States: {
      Parse: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: "f", Payload: payload },
        Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }],
        Next: "Done",
      },
      Caught: { Type: "Fail", Error: "CaughtByStatesAll" },
      Done: { Type: "Succeed" },
    },
  });

  test("an intrinsic function that fails in a payload template (States.StringToJson of text that is not JSON) is States.Runtime, not a JavaScript error", async () => {
    const callbacks = await TaskCallbackEndpoint.start();
    try {
      const result = await machine(caught({ "parsed.$": "States.StringToJson($.text)" }), callbacks).start(
        JSON.stringify({ text: "{not json" }),
      ).done;
      expect(result).toMatchObject({ status: "FAILED", error: { name: "States.Runtime" } });
    } finally {
      await callbacks.close();
    }
  });

  test("a path that points to nothing is States.Runtime", async () => {
    const callbacks = await TaskCallbackEndpoint.start();
    try {
      const result = await machine(caught({ "value.$": "$.missing.path" }), callbacks).start("{}").done;
      expect(result).toMatchObject({ status: "FAILED", error: { name: "States.Runtime" } });
    } finally {
      await callbacks.close();
    }
  });
});
