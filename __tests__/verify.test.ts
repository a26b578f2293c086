import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { LocalPipeline } from "../scripts/local/pipeline";
import { LOCAL_ACCOUNT, readStack, StackReferences } from "../scripts/synthesized/stack-json";
import { temporaryDirectory } from "../scripts/temp-dir";
import { synthAppToDisk } from "./support/synth";

/**
 * npm run verify, send and redrive as processes against the offline pipeline's endpoints (the same SDK calls,
 * endpoints overridden with AWS_ENDPOINT_URL_<SERVICE>), every AWS call they make recorded, and each call checked
 * against the operator policy the stack synthesizes: what the commands need and the policy grants must agree.
 */
const root = path.join(__dirname, "..");
const stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
let pipeline: LocalPipeline;
let outputsFile: string;
const callsFile = path.join(temporaryDirectory("aws-calls"), "calls.jsonl");

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ stackDir, retryIntervalMs: 0 });
  outputsFile = path.join(temporaryDirectory("outputs"), "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(pipeline.outputs()));
});
afterAll(async () => pipeline?.close());

function run(script: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--require", path.join(__dirname, "support", "record-aws-calls.js"), "--import", "tsx", script, ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          ...pipeline.endpointEnvironment,
          RECORD_AWS_CALLS: callsFile,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "offline-test",
          AWS_SECRET_ACCESS_KEY: "offline-test",
          AWS_PROFILE: "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("npm run verify against the offline pipeline", () => {
  test("passes every hop of a working deployment, one line each, and says what it left in the table", async () => {
    const result = await run("scripts/ops/verify.ts", ["--outputs", outputsFile, "--timeout", "30"]);
    // stderr holds only its progress, as plain lines off a terminal; the results are on stdout.
    expect(result.stderr).toMatch(/^(verify: hops checked: \d+, \d+ s\n)+$/);
    const lines = result.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "PASS api",
      "PASS put-events",
      "PASS recorded",
      "PASS executions",
      "PASS logs",
      "PASS dead-letter-queue",
      "PASS failed-executions-queue",
      "PASS alarms",
      expect.stringMatching(/^verified; run [0-9a-f-]{36} left 2 item\(s\) marked \{"verify"/),
    ]);
    expect(result.status).toBe(0);
    // What it says it left is in the table, marked with its run id.
    const [runId] = /run ([0-9a-f-]{36})/.exec(lines[lines.length - 1])!.slice(1);
    const ids = /MessagesTable-dev: (.+)$/.exec(lines[lines.length - 1])![1].split(", ");
    for (const id of ids) expect(JSON.stringify(await pipeline.storedItem(id))).toContain(runId);
  });

  test("fails with the named hop, the likely cause and where to read, exit 1, when a hop is broken", async () => {
    pipeline.alarmStates.set("message-recorder-dev-dlq-messages-visible", "ALARM");
    try {
      const result = await run("scripts/ops/verify.ts", ["--outputs", outputsFile, "--timeout", "30"]);
      expect(result.stdout).toMatch(
        /^FAIL alarms: in ALARM: message-recorder-dev-dlq-messages-visible \(.*\); see docs\/operating.md \(Alarms\)$/m,
      );
      expect(result.stdout).toMatch(/^1 hop failed; run /m);
      expect(result.status).toBe(1);
    } finally {
      pipeline.alarmStates.set("message-recorder-dev-dlq-messages-visible", "OK");
    }
  });

  test("rejects a missing --outputs in one line, exit 2", async () => {
    const result = await run("scripts/ops/verify.ts", []);
    expect(result.stderr).toBe(
      "--outputs is required (npm run output -- <stack> --outputs-file outputs.json, or terraform output -json > outputs.json); usage: npm run verify -- --outputs FILE [--stack NAME] [--timeout SECONDS]\n",
    );
    expect(result.status).toBe(2);
  });
});

// ---- The operator policy against every call the commands made ----

interface Call {
  readonly client: string;
  readonly command: string;
  readonly input: Record<string, any>;
}
interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
}

const REGION = "us-east-1";
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${LOCAL_ACCOUNT}:${resource}`;
const KEY_ARN = arn("kms", "key/local");
const PREFIX: Record<string, string> = {
  EventBridgeClient: "events",
  SFNClient: "states",
  DynamoDBClient: "dynamodb",
  SQSClient: "sqs",
  CloudWatchLogsClient: "logs",
  CloudWatchClient: "cloudwatch",
};

/**
 * The IAM requests one call makes: its action on its resource, and the KMS request behind it under a
 * customer-managed key (the pages cited in the constructs' grant methods say which calls need which).
 */
function requestsOf(call: Call): Request[] {
  if (call.client === "fetch")
    return [
      { action: "execute-api:Invoke", resource: arn("execute-api", `local/v1/POST/${new URL(call.input.url).pathname.split("/").pop()}`) },
    ];
  const action = `${PREFIX[call.client]}:${call.command}`;
  const i = call.input;
  const decrypt = (context: Record<string, string>): Request => ({ action: "kms:Decrypt", resource: KEY_ARN, context });
  const via = (service: string) => decrypt({ "kms:ViaService": `${service}.${REGION}.amazonaws.com` });
  switch (call.client) {
    case "EventBridgeClient": {
      if (call.command === "PutEvents")
        return (i.Entries as Array<{ EventBusName: string }>).map((e) => ({
          action,
          resource: arn("events", `event-bus/${e.EventBusName}`),
        }));
      if (call.command === "ListReplays") return [{ action, resource: "*" }];
      const replay = arn("events", `replay/${i.ReplayName}`);
      // StartReplay is authorized on the archive, the destination bus and the replay.
      return call.command === "StartReplay"
        ? [i.EventSourceArn, i.Destination.Arn, replay].map((resource: string) => ({ action, resource }))
        : [{ action, resource: replay }];
    }
    case "DynamoDBClient":
      return [{ action, resource: arn("dynamodb", `table/${i.TableName}`) }, via("dynamodb")];
    case "SQSClient":
      return [
        { action, resource: arn("sqs", String(i.QueueUrl).split("/").pop()!) },
        ...(call.command === "ReceiveMessage" ? [via("sqs")] : []),
      ];
    case "CloudWatchLogsClient":
      return [{ action, resource: arn("logs", `log-group:${i.logGroupName}`) }, via("logs")];
    case "CloudWatchClient":
      return [{ action, resource: arn("cloudwatch", `alarm:${i.AlarmNamePrefix ?? ""}x`) }];
    case "SFNClient": {
      const stateMachineArn = String(
        i.stateMachineArn ??
          String(i.executionArn)
            .replace(":execution:", ":stateMachine:")
            .replace(/:[^:]+$/, ""),
      );
      const context = { "kms:EncryptionContext:aws:states:stateMachineArn": stateMachineArn };
      const needsKey = ["DescribeExecution", "StartSyncExecution"].includes(call.command);
      return [{ action, resource: String(i.executionArn ?? i.stateMachineArn) }, ...(needsKey ? [decrypt(context)] : [])];
    }
    default:
      throw new Error(`no IAM mapping for ${call.client}`);
  }
}

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(value);

/** The synthesized operator policy, its references resolved the way the offline pipeline names things. */
function operatorPolicy(): Array<{
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}> {
  const stack = readStack(stackDir);
  const refs = new StackReferences(stack, (type, name, attribute) => {
    if (type === "aws_kms_key" && attribute === "arn") return KEY_ARN;
    if (type === "aws_api_gateway_rest_api" && attribute === "execution_arn") return arn("execute-api", "local");
    if (type === "aws_cloudwatch_log_group" && attribute === "arn")
      return arn("logs", `log-group:${String(stack.resource.aws_cloudwatch_log_group[name].name)}`);
    return undefined;
  });
  const text = String(Object.values(stack.resource.aws_iam_policy)[0].policy)
    .replace(/\$\{data\.aws_partition\.partition\.partition\}/g, "aws")
    .replace(/\$\{data\.aws_region\.region\.name\}/g, REGION)
    .replace(/\$\{data\.aws_caller_identity\.caller-identity\.account_id\}/g, LOCAL_ACCOUNT);
  return JSON.parse(refs.resolve(text)).Statement;
}

function allowedBy(policy: ReturnType<typeof operatorPolicy>, request: Request): string | undefined {
  return policy.find(
    (s) =>
      s.Action.some((a) => glob(a, request.action)) &&
      s.Resource.some((r) => glob(r, request.resource)) &&
      Object.entries(s.Condition ?? {}).every(
        ([operator, keys]) => operator === "StringEquals" && Object.entries(keys).every(([key, value]) => request.context?.[key] === value),
      ),
  )?.Sid;
}

describe("the operator policy", () => {
  test("allows every AWS call that send, redrive, reconcile and verify make, on this environment's resources", async () => {
    // send puts a message; a dead-lettered event gives redrive a queue message to record, describe and delete.
    expect((await run("scripts/ops/send.ts", ["--message", '{"operator":"policy"}'])).status).toBe(0);
    pipeline.faults.add("failStartExecution", "op-dlq", 4);
    await pipeline.publish({
      version: "0",
      id: "op-dlq",
      "detail-type": "message",
      source: "com.devpost.commonevent",
      account: LOCAL_ACCOUNT,
      time: "2022-04-16T12:20:00Z",
      region: REGION,
      resources: [],
      detail: { message: '{"a":1}' },
    });
    const redrive = await run("scripts/ops/redrive.ts", ["--outputs", outputsFile, "--since", "1h", "--wait-seconds", "20"]);
    expect(redrive.stdout).toMatch(/recorded 1/);
    // A dry run over a kept message lists it and gives it back (ChangeMessageVisibility).
    pipeline.queues.send(
      pipeline.queueNames.deadLetter!,
      JSON.stringify({
        version: "0",
        id: "op-dry",
        "detail-type": "message",
        source: "com.devpost.commonevent",
        account: LOCAL_ACCOUNT,
        time: "2022-04-16T12:20:00Z",
        region: REGION,
        resources: [],
        detail: { message: "{}" },
      }),
    );
    expect((await run("scripts/ops/redrive.ts", ["--outputs", outputsFile, "--dry-run"])).stdout).toMatch(/would redrive event op-dry/);
    const reconcile = await run("scripts/ops/reconcile.ts", [
      "--outputs",
      outputsFile,
      "--since",
      "1h",
      "--until",
      new Date(Date.now() + 60_000).toISOString(),
      "--wait-seconds",
      "20",
    ]);
    expect(reconcile.stdout).toMatch(/^archived in the window \d+, recorded \d+, recorded now \d+, kept 0$/m);
    const calls = readFileSync(callsFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Call);
    // Every kind of call the three commands make was seen, so the check below covers them.
    expect(new Set(calls.map((c) => `${c.client}.${c.command}`))).toEqual(
      new Set([
        "fetch.POST",
        "EventBridgeClient.PutEvents",
        "DynamoDBClient.GetItem",
        "SFNClient.ListExecutions",
        "SFNClient.DescribeExecution",
        "SFNClient.StartExecution",
        "CloudWatchLogsClient.FilterLogEvents",
        "SQSClient.GetQueueAttributes",
        "SQSClient.ReceiveMessage",
        "SQSClient.DeleteMessage",
        "SQSClient.ChangeMessageVisibility",
        "CloudWatchClient.DescribeAlarms",
        "EventBridgeClient.ListReplays",
        "EventBridgeClient.StartReplay",
        "EventBridgeClient.DescribeReplay",
      ]),
    );
    const policy = operatorPolicy();
    const denied = calls.flatMap(requestsOf).filter((request) => !allowedBy(policy, request));
    expect(denied).toEqual([]);
  });

  test("grants nothing the commands do not use: every statement allows at least one of their calls", () => {
    const calls = readFileSync(callsFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Call);
    const policy = operatorPolicy();
    const used = new Set(calls.flatMap(requestsOf).map((request) => allowedBy(policy, request)));
    // ListExecutions is redrive's --since source; StartSyncExecution only exists in an EXPRESS environment's policy.
    expect(policy.map((s) => s.Sid).filter((sid) => !used.has(sid))).toEqual([]);
  });

  test("the checks catch a call the policy does not allow", () => {
    expect(
      allowedBy(operatorPolicy(), { action: "sqs:SendMessage", resource: arn("sqs", "sfnCommonEventProcessorDLQ-dev") }),
    ).toBeUndefined();
    expect(allowedBy(operatorPolicy(), { action: "dynamodb:GetItem", resource: arn("dynamodb", "table/SomeOtherTable") })).toBeUndefined();
  });
});
