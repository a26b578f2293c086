import * as path from "node:path";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { LOCAL_AWS } from "../scripts/local/dynamodb";
import { FaultPlan } from "../scripts/local/faults";
import { LocalPipeline } from "../scripts/local/pipeline";
import { redrive } from "../scripts/ops/redrive-core";
import { retryBudget } from "../stacks/asl";
import { onlyResource, resourcesOf, synthAppToDisk, synthPipeline } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * workflowType express, offline: the synthesized EXPRESS definition in aws-local-stepfunctions, the recorder
 * from its zip invoked synchronously, dynalite, and the failed-executions queue the workflow itself writes to.
 */
const event = (id: string, detail: Record<string, unknown> = { message: JSON.stringify({ hello: "express" }) }) =>
  messageEvent(id, { detail });

let pipeline: LocalPipeline;
const captured = () => pipeline.queues.messages(pipeline.queueNames.failedExecutions!).map((m) => JSON.parse(m.Body));
/** The original event a captured message holds (EXPRESS sends the execution input as JSON). */
const inputOf = (c: { detail: { input: unknown } }) => c.detail.input as { id: string };

beforeAll(async () => {
  const stackDir = path.join(synthAppToDisk({ env: { RECORDER_WORKFLOW_TYPE: "express" } }), "stacks", "message-recorder-dev");
  pipeline = await LocalPipeline.start({ stackDir, faults: new FaultPlan(), retryIntervalMs: 0 });
});
afterAll(async () => pipeline?.close());

describe("EXPRESS workflow scenarios", () => {
  test("a valid event is recorded through a synchronous invoke, with the same item as STANDARD", async () => {
    const result = await pipeline.publish(event("x-valid"));
    expect(result.execution).toMatchObject({
      status: "SUCCEEDED",
      states: ["Check Input", "Check Input Types", "Record Message", "Check Status?", "Job Succeed"],
    });
    expect(result.execution!.output).toMatchObject({
      recordResult: { StatusCode: 200, Payload: { statusCode: 200, putStatus: { messageId: "x-valid", duplicate: false } } },
    });
    expect(await pipeline.storedItem("x-valid")).toEqual({
      messageId: { S: "x-valid" },
      createdAt: { N: "1650111600000" },
      event: { S: '{"hello":"express"}' },
    });
    expect(pipeline.callbacksReceived.length).toBe(0);
  });

  test("at-least-once is safe: the same event in two executions at once is stored once, both succeed", async () => {
    const [a, b] = await Promise.all([pipeline.publish(event("x-twice")), pipeline.publish(event("x-twice"))]);
    expect([a.execution!.status, b.execution!.status]).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    const items = (await pipeline.dynamoDBClient.send(new ScanCommand({ TableName: pipeline.tableName }))).Items!.filter(
      (i) => i.messageId.S === "x-twice",
    );
    expect(items).toHaveLength(1);
  });

  test("a message that is not JSON is an InvalidRecord answer, not a States.Runtime: the workflow captures it with the original event", async () => {
    const result = await pipeline.publish(event("x-not-json", { message: "{not json" }));
    expect(result.execution).toMatchObject({ status: "FAILED", error: { name: "RecordMessageFailed" } });
    expect(result.execution!.states).toEqual([
      "Check Input",
      "Check Input Types",
      "Record Message",
      "Check Status?",
      "Keep Answer As Error",
      "Capture Failure",
      "Job Failed",
    ]);
    const body = captured().find((c) => inputOf(c).id === "x-not-json");
    expect(body).toMatchObject({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: { status: "FAILED", error: "RecordMessageFailed" },
    });
    expect(body.detail.input).toEqual(event("x-not-json", { message: "{not json" }));
  });

  test("an event without the fields the task reads is guarded by the Choice and captured, never a States.Runtime", async () => {
    const result = await pipeline.publish(event("x-no-message", { text: "hi" }));
    expect(result.execution).toMatchObject({
      status: "FAILED",
      error: { name: "InvalidEvent" },
      states: ["Check Input", "Reject Input", "Capture Failure", "Job Failed"],
    });
    expect(captured().some((c) => inputOf(c).id === "x-no-message")).toBe(true);
  });

  test("DynamoDB throttling past the SDK's retries is retried by the workflow and recorded once", async () => {
    pipeline.faults.add("throttlePutItem", "x-throttled", 3);
    expect((await pipeline.publish(event("x-throttled"))).execution).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
  });

  test("a recorder that dies after its write is retried and the retry answers success as a duplicate", async () => {
    pipeline.faults.add("crashAfterWrite", "x-crash", 1);
    const result = await pipeline.publish(event("x-crash"));
    expect(result.execution).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(result.execution!.output).toMatchObject({ recordResult: { Payload: { putStatus: { duplicate: true } } } });
  });

  test("StartExecution refused past the target's retries: the event is dead-lettered, as with STANDARD", async () => {
    pipeline.faults.add("failStartExecution", "x-unstarted", 4);
    expect(await pipeline.publish(event("x-unstarted"))).toEqual({ matched: true, deadLettered: true });
  });

  test("a message posted to the API is recorded", async () => {
    const result = await pipeline.postMessage(JSON.stringify({ message: '{"via": "api"}' }));
    expect(result).toMatchObject({ status: 200, execution: { status: "SUCCEEDED" } });
  });

  test("a recorder that always dies ends FAILED after its retries, captured; redrive records it once the cause is gone", async () => {
    pipeline.faults.add("recorderCrash", "x-dead", Number.POSITIVE_INFINITY);
    expect((await pipeline.publish(event("x-dead"))).execution).toMatchObject({
      status: "FAILED",
      error: { name: "Lambda.Unknown" },
      attempts: 4,
    });
    // Express sends no status-change event: the queue holds exactly the one message the workflow sent.
    expect(captured().filter((c) => inputOf(c).id === "x-dead")).toHaveLength(1);
    pipeline.faults.add("recorderCrash", "x-dead", 0);
    const summary = await redrive({
      sqs: new SQSClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sqs }),
      // StartSyncExecution goes to the sync- host of the endpoint; the local endpoint has none.
      sfn: new SFNClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.sfn, disableHostPrefix: true }),
      dynamodb: new DynamoDBClient({ ...LOCAL_AWS, endpoint: pipeline.endpoints.dynamodb }),
      target: {
        stateMachineArn: pipeline.stateMachineArn,
        workflowType: "EXPRESS",
        tableName: pipeline.tableName,
        failedExecutionsQueueUrl: pipeline.queues.url(pipeline.queueNames.failedExecutions!),
      },
      sources: ["failed"],
      dryRun: false,
      maxItems: 100,
      waitSeconds: 20,
      pollMs: 10,
      log: () => undefined,
    });
    // Kept from earlier scenarios of this file: x-not-json and x-no-message, which can never be recorded.
    expect(summary).toMatchObject({ recorded: 1, alreadyRecorded: 0, kept: 2 });
    expect(await pipeline.storedItem("x-dead")).toBeDefined();
    expect(
      captured()
        .map((c) => inputOf(c).id)
        .sort(),
    ).toEqual(["x-no-message", "x-not-json"]);
  });
});

describe("the EXPRESS stack", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const aslValidator = require("asl-validator") as (
    definition: unknown,
    options?: { checkArn?: boolean; checkPaths?: boolean },
  ) => { isValid: boolean; errors: unknown[] };
  const tf = synthPipeline({ env: { RECORDER_WORKFLOW_TYPE: "express" } });
  const machine = onlyResource(tf, "aws_sfn_state_machine").body;
  const definition = JSON.parse(
    String(machine.definition)
      .replace(/\$\{aws_lambda_function\.[^}]+\.arn\}/g, "arn:aws:lambda:us-east-1:123456789012:function:recorder-dev")
      .replace(
        /\$\{aws_sqs_queue\.[^}]+\.url\}/g,
        "https://sqs.us-east-1.amazonaws.com/123456789012/MessageRecorder-dev-failed-executions",
      ),
  );

  test("is an EXPRESS state machine logging ERROR with execution data, its definition valid", () => {
    expect(machine).toMatchObject({ type: "EXPRESS", logging_configuration: { level: "ERROR", include_execution_data: true } });
    expect(aslValidator(definition, { checkArn: true, checkPaths: true })).toMatchObject({ isValid: true, errors: [] });
    expect(definition.States["Record Message"]).toMatchObject({
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { Payload: { Record: { "messageId.$": "$.id", "createdAt.$": "$.time", "detail.$": "$.detail" } } },
    });
    expect(definition.TimeoutSeconds).toBe(60);
  });

  test("the retries, the capture of failures included, fit the execution timeout", () => {
    expect(retryBudget(JSON.stringify(definition), { lambdaTimeoutSeconds: 5 }).totalSeconds).toBeLessThan(definition.TimeoutSeconds);
  });

  test("has no status-change rule (only ingress and reconciliation); the workflow's role may send to the failed-executions queue, the recorder may answer no token", () => {
    expect(Object.keys(resourcesOf(tf, "aws_cloudwatch_event_rule"))).toEqual([
      expect.stringMatching(/^ingress_reconciliation-rule_/),
      expect.stringMatching(/^ingress_rule_/),
    ]);
    const policies = Object.entries(resourcesOf(tf, "aws_iam_role_policy"));
    const sids = (prefix: string) =>
      JSON.parse(String(policies.find(([name]) => name.startsWith(prefix))![1].policy)).Statement.map((s: { Sid: string }) => s.Sid);
    expect(sids("workflow_")).toEqual(expect.arrayContaining(["SendFailuresToTheQueue", "UseTheKeyThroughSqs", "InvokeRecorder"]));
    expect(sids("recorder_")).not.toContain("AnswerTaskTokens");
    expect(tf.output.workflow_type.value).toBe("EXPRESS");
  });

  test("rejects an unknown workflow type and log level with the allowed values", () => {
    expect(() => synthPipeline({ env: { RECORDER_WORKFLOW_TYPE: "fast" } })).toThrow(
      'RECORDER_WORKFLOW_TYPE: "fast" is not allowed; expected one of standard, express',
    );
    expect(() => synthPipeline({ env: { RECORDER_LOG_LEVEL: "DEBUG" } })).toThrow(
      'RECORDER_LOG_LEVEL: "DEBUG" is not allowed; expected one of ALL, ERROR, FATAL, OFF',
    );
    expect(
      onlyResource(synthPipeline({ env: { RECORDER_LOG_LEVEL: "ERROR" } }), "aws_sfn_state_machine").body.logging_configuration.level,
    ).toBe("ERROR");
  });
});
