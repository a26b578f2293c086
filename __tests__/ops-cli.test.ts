import { spawn } from "node:child_process";
import * as path from "node:path";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { LocalPipeline } from "../scripts/local/pipeline";
import { temporaryDirectory } from "../scripts/temp-dir";
import { synthAppToDisk } from "./support/synth";

/**
 * The ops scripts run as processes against the offline pipeline's own endpoints (its bus, queues, state machine
 * and table), with every AWS call they make recorded as the SDK sends it (support/record-aws-calls.js).
 */
const ROOT = path.resolve(__dirname, "..");
const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:MessageRecorder-dev";
let pipeline: LocalPipeline;
let callsFile: string;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ stackDir: path.join(synthAppToDisk(), "stacks", "message-recorder-dev"), retryIntervalMs: 0 });
});
afterAll(async () => pipeline?.close());
beforeEach(() => {
  callsFile = path.join(temporaryDirectory("aws-calls"), "calls.jsonl");
});

/** The AWS calls the last run made: client, command, its input and the region it was signed for. */
function calls(): Array<{ client: string; command: string; input: Record<string, any>; region: string }> {
  if (!existsSync(callsFile)) return [];
  return readFileSync(callsFile, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
const putEventsEntries = () =>
  calls()
    .filter((c) => c.command === "PutEvents")
    .flatMap((c) => c.input.Entries);

/** Runs an ops script as `npm run` would, with its SDK clients pointed at the offline pipeline. */
function run(script: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runWith({}, script, ...args);
}

/** As run, with variables added or, when undefined, removed. */
function runWith(
  overrides: Record<string, string | undefined>,
  script: string,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_SQS: pipeline.endpoints.sqs,
    AWS_ENDPOINT_URL_SFN: pipeline.endpoints.sfn,
    AWS_ENDPOINT_URL_EVENTBRIDGE: pipeline.endpoints.events,
    AWS_ENDPOINT_URL_DYNAMODB: pipeline.endpoints.dynamodb,
    AWS_MAX_ATTEMPTS: "1",
    RECORD_AWS_CALLS: callsFile,
    ...overrides,
  };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete env[name];
  return new Promise((resolve) => {
    const recorder = path.join(__dirname, "support", "record-aws-calls.js");
    const child = spawn(process.execPath, ["--require", recorder, "--import", "tsx", `scripts/ops/${script}.ts`, ...args], {
      cwd: ROOT,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const deadLettered = (id: string) =>
  JSON.stringify({ id, source: "com.devpost.commonevent", time: "2022-04-16T12:20:00Z", detail: { message: "{}" } });

describe("npm run send", () => {
  test("puts one event on the configured bus, with the message as a JSON string in detail and a new idempotency key, and prints both", async () => {
    const result = await run("send", "--message", '{"hello":"world"}');
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const key = /idempotency key ([0-9a-f-]{36})$/.exec(result.stdout.trim())![1];
    expect(putEventsEntries()).toEqual([
      {
        EventBusName: "commonbus-dev",
        Source: "com.devpost.commonevent",
        DetailType: "message",
        Detail: JSON.stringify({ message: '{"hello":"world"}', idempotencyKey: key }),
      },
    ]);
    expect(result.stdout.trim()).toMatch(/^event [0-9a-f-]{36}, idempotency key [0-9a-f-]{36}$/);
    // The event went through the whole offline pipeline: recorded under its idempotency key, as published.
    await pipeline.settled();
    expect(await pipeline.storedItem(`idempotency-key:${key}`)).toMatchObject({ event: { S: '{"hello":"world"}' } });
  });

  test("sends the idempotency key it is given, and refuses an invalid one in one line, sending nothing", async () => {
    expect((await run("send", "--message", "{}", "--idempotency-key", "order-42")).stdout).toMatch(/, idempotency key order-42\n$/);
    expect(JSON.parse(putEventsEntries()[0].Detail).idempotencyKey).toBe("order-42");
    const refused = await run("send", "--message", "{}", "--idempotency-key", "has space");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^--idempotency-key must be 1 to 128 characters of A-Z a-z 0-9 _ \. : -; got "has space"; usage: npm run send/,
    );
  });

  test("rejects a message that is not JSON with the usage line and exit 2, sending nothing", async () => {
    const result = await run("send", "--message", "hello");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--message must be JSON");
    expect(result.stderr).toContain("usage: npm run send --");
    expect(calls()).toEqual([]);
  });

  test("rejects an unknown option in one line naming it and the allowed ones", async () => {
    const result = await run("send", "--mesage", "{}");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^unknown option --mesage; allowed: --message, --idempotency-key, --environment, --bus, --source, --region; usage: npm run send --.*\n$/,
    );
  });

  test("rejects an environment the configuration does not declare, naming the configured ones", async () => {
    const result = await run("send", "--message", "{}", "--environment", "prod");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^--environment: "prod" is not configured; expected one of dev; usage: .*\n$/);
  });

  test("--help prints the usage line and exits 0", async () => {
    const result = await run("send", "--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run send -- --message/);
    expect(calls()).toEqual([]);
  });

  test("takes the region from the configured environment when AWS_REGION is not set", async () => {
    const result = await runWith(
      { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, RECORDER_REGION: "eu-west-1" },
      "send",
      "--message",
      "{}",
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(calls().map((c) => c.region)).toEqual(["eu-west-1"]);
  });

  test("AWS_REGION, when set, wins over the configured region", async () => {
    const result = await runWith({ AWS_REGION: "us-west-2", RECORDER_REGION: "eu-west-1" }, "send", "--message", "{}");
    expect(result.status).toBe(0);
    expect(calls().map((c) => c.region)).toEqual(["us-west-2"]);
  });
});

describe("npm run redrive", () => {
  let outputsFile: string;

  beforeAll(() => {
    // What `terraform output -json` writes for the stack, pointing at the offline pipeline.
    outputsFile = path.join(temporaryDirectory("outputs"), "outputs.json");
    writeFileSync(
      outputsFile,
      JSON.stringify({
        state_machine_arn: { value: pipeline.stateMachineArn, type: "string", sensitive: false },
        messages_table_name: { value: pipeline.tableName, type: "string", sensitive: false },
        dead_letter_queue_url: { value: pipeline.queues.url(pipeline.queueNames.deadLetter!), type: "string", sensitive: false },
        failed_executions_queue_url: {
          value: pipeline.queues.url(pipeline.queueNames.failedExecutions!),
          type: "string",
          sensitive: false,
        },
      }),
    );
  });

  const redriveCli = (...args: string[]) =>
    runWith(
      {
        AWS_ENDPOINT_URL_SQS: pipeline.endpoints.sqs,
        AWS_ENDPOINT_URL_SFN: pipeline.endpoints.sfn,
        AWS_ENDPOINT_URL_DYNAMODB: pipeline.endpoints.dynamodb,
      },
      "redrive",
      ...args,
    );

  test("takes the state machine, table and queues from the stack outputs and records what the DLQ kept", async () => {
    pipeline.queues.send(pipeline.queueNames.deadLetter!, deadLettered("cli-1"), { TARGET_ARN: MACHINE });
    const result = await redriveCli("--outputs", outputsFile);
    // stderr holds only its progress, as plain lines off a terminal; the results are on stdout.
    expect(result.stderr).toMatch(/^(redrive: messages handled: \d+, \d+ s\n)+$/);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("recorded 1, already recorded 0, kept 0 message(s)");
    expect(await pipeline.storedItem("cli-1")).toBeDefined();
    expect(pipeline.queues.messages(pipeline.queueNames.deadLetter!)).toEqual([]);
  });

  test("exits 1 and says why when a message is kept", async () => {
    pipeline.queues.send(pipeline.queueNames.deadLetter!, "not an event");
    const result = await redriveCli("--outputs", outputsFile, "--source", "dlq");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("recorded 0, already recorded 0, kept 1 message(s) (1 × the body is not JSON)");
  });

  test.each([
    [["--source", "dlq"], "--state-machine-arn is required (or --outputs with the stack's outputs)"],
    [
      ["--state-machine-arn", MACHINE, "--table-name", "t", "--source", "everything"],
      '--source: "everything" is not allowed; expected dlq, failed, executions or all',
    ],
    [["--state-machine-arn", MACHINE, "--table-name", "t", "--source", "executions"], "--source executions needs --since"],
    [
      ["--state-machine-arn", MACHINE, "--table-name", "t", "--since", "last week"],
      '--since: "last week" is not allowed; expected an ISO date-time',
    ],
    [["--outputs", "/nonexistent/outputs.json"], "--outputs /nonexistent/outputs.json: cannot read it as JSON"],
  ])("rejects %j with one line, the usage and exit 2", async (args, message) => {
    const result = await run("redrive", ...args);
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")[0]).toContain(message);
    expect(result.stderr).toContain("usage: npm run redrive --");
  });
});

describe("npm run redrive against an EXPRESS stack", () => {
  test("refuses the execution history, which Express workflows do not keep, naming the queue to use", async () => {
    const outputs = path.join(temporaryDirectory("express-outputs"), "outputs.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        state_machine_arn: { value: MACHINE },
        messages_table_name: { value: "MessagesTable-dev" },
        workflow_type: { value: "EXPRESS" },
      }),
    );
    const result = await run("redrive", "--outputs", outputs, "--source", "executions", "--since", "24h");
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")[0]).toContain("--source executions: the execution history of an EXPRESS workflow cannot be listed");
  });
});
