import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { defineTwoSources, ORDERS_SOURCE } from "../examples/two-sources/app";
import { LocalPipeline } from "../scripts/local/pipeline";
import { loadConfig } from "../stacks/config";
import { temporaryDirectory } from "../scripts/temp-dir";
import { testArchive } from "./support/synth";
import { initValidatePlan, PlanResult, prepareOfflineCopy, terraformTierEnabled } from "./support/terraform";
import { messageEvent } from "./support/events";

/** examples/two-sources: the pipeline plus a second rule and a second recorder, composed from the constructs. */
function synthExample(): string {
  const outdir = temporaryDirectory("two-sources");
  const app = new App({ outdir });
  defineTwoSources(app, loadConfig().environments[0], { recorderArchive: testArchive() });
  app.synth();
  return path.join(outdir, "stacks", "two-sources-dev");
}

const stackDir = synthExample();
const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));

describe("examples/two-sources", () => {
  test("each addition is at most 15 lines of the example", () => {
    const source = readFileSync(path.join(__dirname, "..", "examples", "two-sources", "app.ts"), "utf8").split("\n");
    const start = (marker: string) => source.findIndex((line) => line.trim().startsWith(marker));
    const orders = start("// 1. Orders");
    const audit = start("// 2. Audit");
    const end = source.findIndex((line, i) => i > audit && line.trim().startsWith("return pipeline"));
    expect(orders).toBeGreaterThan(0);
    expect(audit - orders - 1).toBeLessThanOrEqual(15);
    expect(end - audit - 1).toBeLessThanOrEqual(15);
  });

  test("adds a second rule on the same bus into the same workflow, and a second recorder with its own table and workflow", () => {
    const rules = Object.values<{
      name: string;
      event_pattern: string;
      event_bus_name?: string;
    }>(stack.resource.aws_cloudwatch_event_rule);
    const orders = rules.find((r) => r.name === "ordersRule-dev")!;
    expect(JSON.parse(orders.event_pattern)).toEqual({ source: ["com.example.orders"] });
    expect(orders.event_bus_name).toBe(rules.find((r) => r.name === "sfnCommonEventProcessorRule-dev")!.event_bus_name);
    expect(
      Object.values(stack.resource.aws_dynamodb_table)
        .map((t) => (t as { name: string }).name)
        .sort(),
    ).toEqual(["AuditTable-dev", "MessagesTable-dev"]);
    expect(
      Object.values(stack.resource.aws_sfn_state_machine)
        .map((m) => (m as { name: string }).name)
        .sort(),
    ).toEqual(["AuditRecorder-dev", "MessageRecorder-dev"]);
    // The first rule now has two targets: the workflow, and the audit workflow.
    const targets = Object.values<{ target_id: string }>(stack.resource.aws_cloudwatch_event_target);
    expect(targets.map((t) => t.target_id).sort()).toEqual([
      "audit-workflow",
      "failed-executions-queue",
      "message-recorder-workflow",
      "reconciliation-queue",
      "workflow",
    ]);
  });

  test('the audit recorder may write only its own table, and answer task tokens (SendTask* take no resource but "*")', () => {
    const role = Object.entries(stack.resource.aws_iam_role).find(
      ([, r]) => (r as { name: string }).name === "audit-recorder-dev-role",
    )![0];
    const policy = Object.values(stack.resource.aws_iam_role_policy).find(
      (p) => (p as { role: string }).role === `\${aws_iam_role.${role}.id}`,
    ) as { policy: string };
    const statements = JSON.parse(policy.policy).Statement as Array<{ Sid: string; Resource: string[] }>;
    expect(statements.find((s) => s.Sid === "PutMessageItems")!.Resource).toEqual([
      expect.stringMatching(/^\$\{aws_dynamodb_table\.audit-table_/),
    ]);
    expect(statements.find((s) => s.Sid === "AnswerTaskTokens")!.Resource).toEqual(["*"]);
  });

  (terraformTierEnabled() ? describe : describe.skip)("Terraform", () => {
    let plan: PlanResult;
    beforeAll(() => {
      plan = initValidatePlan(prepareOfflineCopy(stackDir));
    });

    test("validates and plans offline: two tables, two state machines, two recorders, four rules (ingress, status change, audit, reconciliation)", () => {
      const count = (type: string) => plan.resources.filter((r) => r.type === type).length;
      expect([
        count("aws_dynamodb_table"),
        count("aws_sfn_state_machine"),
        count("aws_lambda_function"),
        count("aws_cloudwatch_event_rule"),
      ]).toEqual([2, 2, 2, 4]);
      expect(new Set(plan.actions)).toEqual(new Set(["create"]));
    });
  });
});

describe("examples/two-sources offline", () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await LocalPipeline.start({ stackDir, retryIntervalMs: 0 });
  });
  afterAll(async () => pipeline?.close());

  const event = (id: string, source: string) => messageEvent(id, { source, detail: { message: JSON.stringify({ id }) } });

  test("a message of the first source is recorded twice over: in the messages table and, by the audit recorder, in the audit table", async () => {
    const deliveries = await pipeline.putEvent(event("two-1", "com.devpost.commonevent"));
    expect(deliveries.map((d) => d.execution?.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(await pipeline.storedItem("two-1", "MessagesTable-dev")).toBeDefined();
    expect(await pipeline.storedItem("two-1", "AuditTable-dev")).toBeDefined();
  });

  test("an order is recorded by the same workflow in the messages table, and not audited", async () => {
    const deliveries = await pipeline.putEvent(event("order-1", ORDERS_SOURCE));
    expect(deliveries.map((d) => d.execution?.status)).toEqual(["SUCCEEDED"]);
    expect(await pipeline.storedItem("order-1", "MessagesTable-dev")).toBeDefined();
    expect(await pipeline.storedItem("order-1", "AuditTable-dev")).toBeUndefined();
  });
});

describe("docs/extending.md's walk-through of the example", () => {
  test("quotes the example's additions as they are in examples/two-sources/app.ts", () => {
    const readme = readFileSync(path.join(__dirname, "..", "docs", "extending.md"), "utf8");
    const source = readFileSync(path.join(__dirname, "..", "examples", "two-sources", "app.ts"), "utf8");
    const quoted = readme.split("# Extending the pipeline")[1].split("```ts")[1].split("```")[0].trim().split("\n");
    for (const line of quoted.filter((l) => l.trim() !== "")) expect(source).toContain(line.trim());
  });
});

describe("npm run example", () => {
  test("rejects an unknown example in one line naming the ones there are, exit 2", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/example.ts", "nope"], {
      cwd: path.join(__dirname, ".."),
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('no example "nope"; expected one of two-sources; usage: npm run example -- <name>\n');
  });
});
