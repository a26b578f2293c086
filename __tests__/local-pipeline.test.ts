import { cpSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import AdmZip from "adm-zip";
import { App, AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { FaultPlan } from "../scripts/local/faults";
import { extractArchive } from "../scripts/local/lambda-archive";
import { LocalFunction } from "../scripts/local/lambda-service";
import { LocalPipeline } from "../scripts/local/pipeline";
import { temporaryDirectory } from "../scripts/temp-dir";
import { testArchive } from "./support/synth";
import { messageEvent } from "./support/events";

/**
 * The offline pipeline is not tied to the recorder stack's shape: a stack synthesized here from raw provider
 * resources, with two recorders from the same zip writing to their own tables, each behind its own state machine
 * and rule on one bus, plus a third function called request-response, runs as declared.
 */
const ROLE = "arn:aws:iam::000000000000:role/local";

function archiveOf(source: string): string {
  const zipPath = path.join(temporaryDirectory("handler-archive"), "handler.zip");
  const zip = new AdmZip();
  zip.addFile("index.js", Buffer.from(source));
  zip.writeZip(zipPath);
  return zipPath;
}

/** A deployment package that answers with what it sees: the event, its own environment and its context. */
const echoArchive = () =>
  archiveOf(`exports.handler = async (event, context) => ({
  event, greeting: process.env.GREETING ?? null, hostOnly: process.env.HOST_ONLY_MARKER ?? null,
  functionName: context.functionName, remainingPositive: context.getRemainingTimeInMillis() > 0,
});
`);

class TwoRecordersStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1" });
    const bus = new CloudwatchEventBus(this, "bus", { name: "shared-bus" });
    const recorderArchive = testArchive();
    const recorderAsset = new TerraformAsset(this, "recorder-zip", { path: recorderArchive.zipPath, type: AssetType.FILE });

    const route = (name: string, source: string, fn: LambdaFunction, definition: object) => {
      const machine = new SfnStateMachine(this, `${name}-machine`, {
        name: `${name}-machine`,
        roleArn: ROLE,
        definition: JSON.stringify(definition),
      });
      const rule = new CloudwatchEventRule(this, `${name}-rule`, {
        name: `${name}-rule`,
        eventBusName: bus.name,
        eventPattern: JSON.stringify({ source: [source] }),
      });
      new CloudwatchEventTarget(this, `${name}-target`, {
        rule: rule.name,
        eventBusName: bus.name,
        arn: machine.arn,
        roleArn: ROLE,
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      });
      return fn;
    };
    const recorder = (name: string, source: string) => {
      const table = new DynamodbTable(this, `${name}-table`, {
        name: `${name}-messages`,
        hashKey: "messageId",
        billingMode: "PAY_PER_REQUEST",
        attribute: [{ name: "messageId", type: "S" }],
      });
      const fn = new LambdaFunction(this, `${name}-function`, {
        functionName: `${name}-recorder`,
        role: ROLE,
        runtime: "nodejs22.x",
        handler: recorderArchive.handler,
        filename: recorderAsset.path,
        timeout: 5,
        memorySize: 256,
        environment: { variables: { MESSAGES_TABLE_NAME: table.name, NODE_OPTIONS: "--enable-source-maps" } },
      });
      route(name, source, fn, {
        StartAt: "Record",
        States: {
          Record: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
            TimeoutSeconds: 10,
            End: true,
            Parameters: {
              FunctionName: fn.arn,
              Payload: {
                "MyTaskToken.$": "$$.Task.Token",
                Record: {
                  "messageId.$": "$.id",
                  "createdAt.$": "$.time",
                  "event.$": "States.StringToJson($.detail.message)",
                  "message.$": "$.detail.message",
                },
              },
            },
          },
        },
      });
    };
    recorder("orders", "com.example.orders");
    recorder("payments", "com.example.payments");

    const echoAsset = new TerraformAsset(this, "echo-zip", { path: echoArchive(), type: AssetType.FILE });
    const echo = new LambdaFunction(this, "echo-function", {
      functionName: "echo",
      role: ROLE,
      runtime: "nodejs22.x",
      handler: "index.handler",
      filename: echoAsset.path,
      environment: { variables: { GREETING: "hello" } },
    });
    route("echo", "com.example.echo", echo, {
      StartAt: "Echo",
      States: {
        Echo: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          End: true,
          Parameters: { FunctionName: echo.arn, Payload: { "id.$": "$.id" } },
          ResultSelector: { "Payload.$": "$.Payload", "StatusCode.$": "$.StatusCode" },
        },
      },
    });
  }
}

function synthTwoRecorders(): string {
  const outdir = temporaryDirectory("two-recorders");
  const app = new App({ outdir });
  new TwoRecordersStack(app, "two-recorders");
  app.synth();
  return path.join(outdir, "stacks", "two-recorders");
}

const event = (id: string, source: string) => messageEvent(id, { source, detail: { message: JSON.stringify({ id }) } });

let stackDir: string;
let pipeline: LocalPipeline;
let hostEnvironment: Record<string, string | undefined>;

beforeAll(async () => {
  stackDir = synthTwoRecorders();
  process.env.HOST_ONLY_MARKER = "the host's, not the function's";
  hostEnvironment = { ...process.env };
  pipeline = await LocalPipeline.start({ stackDir, faults: new FaultPlan(), retryIntervalMs: 0 });
});
afterAll(async () => {
  await pipeline?.close();
  delete process.env.HOST_ONLY_MARKER;
});

describe("a stack of any shape, read from its synthesized JSON", () => {
  test("reads every function, state machine and table the stack declares", () => {
    expect([...pipeline.functions.values()].map((fn) => fn.functionName).sort()).toEqual(["echo", "orders-recorder", "payments-recorder"]);
    expect([...pipeline.stateMachines.values()].map((m) => m.name).sort()).toEqual(["echo-machine", "orders-machine", "payments-machine"]);
    expect([...pipeline.tables.keys()].sort()).toEqual(["orders-messages", "payments-messages"]);
    expect(pipeline.busName).toBe("shared-bus");
  });

  test("an event of each source is recorded by its own rule, state machine and function, in its own table only", async () => {
    const orders = await pipeline.publish(event("evt-order", "com.example.orders"));
    const payments = await pipeline.publish(event("evt-payment", "com.example.payments"));
    expect(orders.execution).toMatchObject({ status: "SUCCEEDED", executionArn: expect.stringContaining(":execution:orders-machine:") });
    expect(payments.execution).toMatchObject({
      status: "SUCCEEDED",
      executionArn: expect.stringContaining(":execution:payments-machine:"),
    });
    expect(await pipeline.storedItem("evt-order", "orders-messages")).toMatchObject({ messageId: { S: "evt-order" } });
    expect(await pipeline.storedItem("evt-order", "payments-messages")).toBeUndefined();
    expect(await pipeline.storedItem("evt-payment", "payments-messages")).toMatchObject({ messageId: { S: "evt-payment" } });
    expect(await pipeline.storedItem("evt-payment", "orders-messages")).toBeUndefined();
  });

  test("an event no rule of the bus matches starts nothing", async () => {
    expect(await pipeline.putEvent(event("evt-nobody", "com.example.other"))).toEqual([]);
  });

  test("a request-response Task gets Lambda's answer: the function's return value as Payload and StatusCode 200", async () => {
    const { execution } = await pipeline.publish(event("evt-echo", "com.example.echo"));
    expect(execution).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    expect(execution!.output).toEqual({
      StatusCode: 200,
      Payload: { event: { id: "evt-echo" }, greeting: "hello", hostOnly: null, functionName: "echo", remainingPositive: true },
    });
  });

  test("the host's process.env is unchanged: no function's environment is copied into it", () => {
    expect(process.env.MESSAGES_TABLE_NAME).toBeUndefined();
    expect(process.env.GREETING).toBeUndefined();
    expect({ ...process.env }).toEqual(hostEnvironment);
  });

  test("a crash after the write kills the function's execution environment; the next invocation starts a fresh one", async () => {
    const recorder = [...pipeline.functions.values()].find((fn) => fn.functionName === "orders-recorder")!;
    await pipeline.publish(event("evt-warm-1", "com.example.orders"));
    await pipeline.publish(event("evt-warm-2", "com.example.orders"));
    const coldStarts = recorder.coldStarts;
    pipeline.faults.add("crashAfterWrite", "evt-crash", 1);
    const { execution } = await pipeline.publish(event("evt-crash", "com.example.orders"));
    // This machine has no Retry: the crash ends the execution with the error Step Functions reports.
    expect(execution).toMatchObject({ status: "FAILED", error: { name: "Lambda.Unknown" }, attempts: 1 });
    expect(pipeline.faults.injected.crashAfterWrite).toBe(1);
    // The write happened before the crash; nothing else of that invocation did.
    expect(await pipeline.storedItem("evt-crash", "orders-messages")).toBeDefined();
    expect(recorder.coldStarts).toBe(coldStarts);
    expect((await pipeline.publish(event("evt-after", "com.example.orders"))).execution!.status).toBe("SUCCEEDED");
    expect(recorder.coldStarts).toBe(coldStarts + 1);
  });
});

describe("refusals at start", () => {
  const withDefinition = (edit: (definition: Record<string, any>) => void): string => {
    const copy = path.join(temporaryDirectory("edited-stack"), "stack");
    cpSync(stackDir, copy, { recursive: true });
    const file = path.join(copy, "cdk.tf.json");
    const stack = JSON.parse(readFileSync(file, "utf8"));
    const machine = stack.resource.aws_sfn_state_machine["orders-machine"];
    const definition = JSON.parse(machine.definition);
    edit(definition);
    machine.definition = JSON.stringify(definition);
    writeFileSync(file, JSON.stringify(stack));
    return copy;
  };

  test("throws when a Task invokes a function the stack does not declare", async () => {
    const dir = withDefinition(
      (d) => (d.States.Record.Parameters.FunctionName = "arn:aws:lambda:us-east-1:000000000000:function:elsewhere"),
    );
    await expect(LocalPipeline.start({ stackDir: dir })).rejects.toThrow(
      'orders-machine: Task state "Record" invokes arn:aws:lambda:us-east-1:000000000000:function:elsewhere, which is not a function of the stack',
    );
  });

  test("throws when a Task calls a service integration other than Lambda invoke", async () => {
    const dir = withDefinition((d) => (d.States.Record.Resource = "arn:aws:states:::sns:publish"));
    await expect(LocalPipeline.start({ stackDir: dir })).rejects.toThrow(
      'orders-machine: Task state "Record" calls arn:aws:states:::sns:publish; only arn:aws:states:::lambda:invoke, arn:aws:states:::lambda:invoke.waitForTaskToken and arn:aws:states:::sqs:sendMessage run locally',
    );
  });
});

describe("execution environments", () => {
  test("an invocation that outlasts the function's timeout fails as Lambda.Unknown; the next one runs in a fresh environment", async () => {
    const fn = new LocalFunction({
      functionName: "sleepy",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:sleepy",
      timeoutSeconds: 1,
      environment: {},
      taskRoot: extractArchive(archiveOf("exports.handler = async (event) => event.hang ? new Promise(() => undefined) : 'awake';\n")),
      handler: "index.handler",
    });
    try {
      await expect(fn.invoke({ hang: true })).rejects.toMatchObject({
        name: "Lambda.Unknown",
        message: "Task timed out after 1.00 seconds",
      });
      expect(await fn.invoke({ hang: false })).toBe("awake");
      expect(fn.coldStarts).toBe(2);
    } finally {
      await fn.close();
    }
  });
});
