import { spawn } from "node:child_process";
import * as path from "node:path";
import { executionName } from "../scripts/ops/redrive-core";
import { FakeAws } from "./support/fake-aws";

const ROOT = path.resolve(__dirname, "..");
const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:MessageRecorder-dev";
let aws: FakeAws;

beforeEach(async () => {
  aws = await FakeAws.start();
});
afterEach(async () => aws.close());

/** Runs an ops script as `npm run` would, with its SDK clients pointed at the fake endpoint. */
function run(script: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runWith({}, script, ...args);
}

/** As run, with variables added or, when undefined, removed. */
function runWith(overrides: Record<string, string | undefined>, script: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_SQS: aws.endpoint, AWS_ENDPOINT_URL_SFN: aws.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: aws.endpoint,
    AWS_MAX_ATTEMPTS: "1",
    ...overrides,
  };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete env[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", `scripts/ops/${script}.ts`, ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const deadLettered = (id: string) => JSON.stringify({ id, source: "com.devpost.commonevent", time: "2022-04-16T12:20:00Z", detail: { message: "{}" } });

describe("npm run send", () => {
  test("puts one event on the configured bus, with the message as a JSON string in detail, and prints its id", async () => {
    const result = await run("send", "--message", "{\"hello\":\"world\"}");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const [call] = aws.callsOf("PutEvents");
    expect(call.Entries).toEqual([{ EventBusName: "commonbus-dev", Source: "com.devpost.commonevent", DetailType: "message", Detail: JSON.stringify({ message: "{\"hello\":\"world\"}" }) }]);
    expect(result.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("rejects a message that is not JSON with the usage line and exit 2, sending nothing", async () => {
    const result = await run("send", "--message", "hello");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--message must be JSON");
    expect(result.stderr).toContain("usage: npm run send --");
    expect(aws.calls).toEqual([]);
  });

  test("rejects an unknown option in one line naming it and the allowed ones", async () => {
    const result = await run("send", "--mesage", "{}");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^unknown option --mesage; allowed: --message, --environment, --bus, --source, --region; usage: npm run send --.*\n$/);
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
    expect(aws.calls).toEqual([]);
  });

  test("takes the region from the configured environment when AWS_REGION is not set", async () => {
    const result = await runWith({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, RECORDER_REGION: "eu-west-1" }, "send", "--message", "{}");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(aws.calls.map((c) => c.region)).toEqual(["eu-west-1"]);
  });

  test("AWS_REGION, when set, wins over the configured region", async () => {
    const result = await runWith({ AWS_REGION: "us-west-2", RECORDER_REGION: "eu-west-1" }, "send", "--message", "{}");
    expect(result.status).toBe(0);
    expect(aws.calls.map((c) => c.region)).toEqual(["us-west-2"]);
  });
});

describe("npm run redrive", () => {
  test("starts an execution per message with the original event, named after its id, then deletes it", async () => {
    aws.enqueue(deadLettered("evt-1"), { TARGET_ARN: MACHINE, ERROR_CODE: "Throttling" });
    aws.enqueue(deadLettered("evt-2"), { TARGET_ARN: MACHINE });
    const result = await run("redrive", "--queue-url", `${aws.endpoint}/123456789012/dlq`);
    expect(result.status).toBe(0);
    expect(aws.callsOf("StartExecution")).toEqual([
      { stateMachineArn: MACHINE, name: "redrive-evt-1", input: deadLettered("evt-1") },
      { stateMachineArn: MACHINE, name: "redrive-evt-2", input: deadLettered("evt-2") },
    ]);
    expect(aws.queue).toEqual([]);
    expect(result.stdout).toContain("received 2, redriven 2, deleted 2, kept 0");
  });

  test("a message is deleted only after its re-delivery succeeded", async () => {
    aws.enqueue(deadLettered("evt-ok"), { TARGET_ARN: MACHINE });
    aws.enqueue(deadLettered("evt-bad"), { TARGET_ARN: MACHINE });
    aws.failStartFor.add("evt-bad");
    const result = await run("redrive", "--queue-url", `${aws.endpoint}/q`);
    expect(result.status).toBe(1);
    const order = aws.calls.filter((c) => c.operation !== "ReceiveMessage").map((c) => c.operation === "StartExecution" ? `start ${JSON.parse(c.body.input).id}` : "delete");
    expect(order).toEqual(["start evt-ok", "delete", "start evt-bad"]);
    expect(aws.queue.map((m) => JSON.parse(m.Body).id)).toEqual(["evt-bad"]);
    expect(result.stdout).toContain("kept event evt-bad: StateMachineDoesNotExist");
    expect(result.stdout).toContain("received 2, redriven 1, deleted 1, kept 1");
  });

  test("--dry-run lists without starting or deleting anything", async () => {
    aws.enqueue(deadLettered("evt-1"), { TARGET_ARN: MACHINE, ERROR_CODE: "SDK_CLIENT_ERROR" });
    const result = await run("redrive", "--queue-url", `${aws.endpoint}/q`, "--dry-run");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`would redrive event evt-1 to ${MACHINE} (SDK_CLIENT_ERROR)`);
    expect(aws.callsOf("StartExecution")).toEqual([]);
    expect(aws.callsOf("DeleteMessage")).toEqual([]);
    expect(aws.queue).toHaveLength(1);
  });

  test("a body that is not an event stays in the queue", async () => {
    aws.enqueue("not json", { TARGET_ARN: MACHINE });
    const result = await run("redrive", "--queue-url", `${aws.endpoint}/q`);
    expect(result.status).toBe(1);
    expect(aws.queue).toHaveLength(1);
    expect(aws.callsOf("StartExecution")).toEqual([]);
  });

  test("rejects a missing queue URL with the usage line and exit 2", async () => {
    const result = await run("redrive");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--queue-url is required");
    expect(result.stderr).toContain("usage: npm run redrive --");
  });

  test("execution names are legal and stable for an event id", () => {
    expect(executionName("cdd51245-987a-b3c7-eecf-6d6d63046073")).toBe("redrive-cdd51245-987a-b3c7-eecf-6d6d63046073");
    expect(executionName("a b/c")).toBe("redrive-a_b_c");
    expect(executionName("x".repeat(100))).toHaveLength(80);
  });
});
