import * as path from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EventArchive } from "../stacks/constructs/event-archive";
import { EventQueue } from "../stacks/constructs/event-queue";
import { EventBus, Rule } from "../stacks/constructs/events";
import { Grant, IGrantable } from "../stacks/constructs/grants";
import { RECORDER_ENTRY } from "../stacks/constructs/bundling/build";
import { MessageWorkflow } from "../stacks/constructs/message-workflow";
import { MessagesTable } from "../stacks/constructs/messages-table";
import { NodejsFunction } from "../stacks/constructs/nodejs-function";
import { RecorderFunction } from "../stacks/constructs/recorder-function";
import { ServiceRole } from "../stacks/constructs/service-role";
import { IStateMachine, SqsQueueTarget, StateMachineTarget } from "../stacks/constructs/targets";
import { WorkflowModel } from "../stacks/workflow-model";
import { ref, resourceAt, resourcesOf, synthPipeline, TerraformJson, testArchive } from "./support/synth";

/** A state machine as a rule target sees it: an ARN and a grant. */
const machine = (name: string): IStateMachine => {
  const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;
  return {
    stateMachineArn,
    grantStartExecution: (grantee: IGrantable) =>
      Grant.addToPrincipal(grantee, { actions: ["states:StartExecution"], resources: [stateMachineArn] }),
  };
};

function synth(build: (stack: TerraformStack) => void): TerraformJson {
  const stack = new TerraformStack(Testing.app(), "library");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  build(stack);
  return JSON.parse(Testing.synth(stack, true)) as TerraformJson;
}

const policyOf = (tf: TerraformJson, rolePath: string) =>
  JSON.parse(resourceAt(tf, "aws_iam_role_policy", rolePath).body.policy as string).Statement as Array<{
    Sid: string;
    Action: string[];
    Resource: string[];
  }>;

describe("construct library", () => {
  test("a second rule on the same bus is one Rule plus addTarget, each with its own target resource", () => {
    const tf = synth((stack) => {
      const bus = new EventBus(stack, "bus", { eventBusName: "commonbus-test" });
      const dlq = new EventQueue(stack, "dlq", { queueName: "shared-dlq" });
      const workflow = machine("recorder");
      new Rule(stack, "messages", { ruleName: "messages", eventBus: bus, eventPattern: { source: ["com.devpost.commonevent"] } }).addTarget(
        new StateMachineTarget(workflow, { deadLetterQueue: dlq }),
      );
      new Rule(stack, "orders", { ruleName: "orders", eventBus: bus, eventPattern: { source: ["com.example.orders"] } }).addTarget(
        new StateMachineTarget(workflow, { deadLetterQueue: dlq }),
      );
    });
    const targets = Object.values(resourcesOf(tf, "aws_cloudwatch_event_target"));
    expect(targets).toHaveLength(2);
    for (const target of targets)
      expect(target).toMatchObject({
        arn: "arn:aws:states:us-east-1:123456789012:stateMachine:recorder",
        event_bus_name: "${aws_cloudwatch_event_bus.bus.name}",
      });
    expect(
      Object.values(resourcesOf(tf, "aws_cloudwatch_event_rule"))
        .map((r) => JSON.parse(String(r.event_pattern)).source[0])
        .sort(),
    ).toEqual(["com.devpost.commonevent", "com.example.orders"]);
    // One shared DLQ, admitting each rule once, by its own ARN.
    const statements = JSON.parse(String(resourceAt(tf, "aws_sqs_queue_policy", "dlq_policy").body.policy)).Statement;
    expect(
      statements
        .filter((s: { Effect: string }) => s.Effect === "Allow")
        .map((s: { Sid: string; Condition: { ArnEquals: Record<string, string> } }) => [s.Sid, s.Condition.ArnEquals["aws:SourceArn"]]),
    ).toEqual([
      ["AcceptUndeliveredEventsFromTheRule", "${aws_cloudwatch_event_rule.messages.arn}"],
      ["AcceptUndeliveredEventsFromTheRule2", "${aws_cloudwatch_event_rule.orders.arn}"],
    ]);
  });

  test("a target without a dead-letter queue or a role creates both in the rule, scoped to that rule", () => {
    const tf = synth((stack) => {
      new Rule(stack, "orders", { ruleName: "orders", eventPattern: { source: ["com.example.orders"] } }).addTarget(
        new StateMachineTarget(machine("orders")),
      );
    });
    expect(resourceAt(tf, "aws_sqs_queue", "orders_dead-letter-queue").body).toMatchObject({
      name: "orders-dlq",
      message_retention_seconds: 1209600,
    });
    const role = resourceAt(tf, "aws_iam_role", "orders_target-role").body;
    expect(role.name).toBe("orders-target-role");
    expect(JSON.parse(String(role.assume_role_policy)).Statement[0].Condition.ArnLike).toEqual({
      "aws:SourceArn": "${aws_cloudwatch_event_rule.orders.arn}",
    });
    expect(policyOf(tf, "orders_target-role_policy")).toEqual([
      expect.objectContaining({ Sid: "StatesStartExecution", Action: ["states:StartExecution"] }),
    ]);
    // On the default bus: no event_bus_name on the rule or the target.
    expect(Object.values(resourcesOf(tf, "aws_cloudwatch_event_rule"))[0]).not.toHaveProperty("event_bus_name");
  });

  test("granting one role on two resources never throws: a taken Sid gets a number, an identical grant is kept once", () => {
    const tf = synth((stack) => {
      const role = new ServiceRole(stack, "role", { roleName: "r", assumedBy: "states.amazonaws.com", description: "d" });
      const first = Grant.addToPrincipal(role, { sid: "InvokeRecorder", actions: ["lambda:InvokeFunction"], resources: ["arn:a"] });
      Grant.addToPrincipal(role, { sid: "InvokeRecorder", actions: ["lambda:InvokeFunction"], resources: ["arn:b"] });
      const again = Grant.addToPrincipal(role, { sid: "InvokeRecorder", actions: ["lambda:InvokeFunction"], resources: ["arn:a"] });
      expect(again.statements).toEqual(first.statements);
    });
    expect(policyOf(tf, "role_policy").map((s) => [s.Sid, s.Resource])).toEqual([
      ["InvokeRecorder", ["arn:a"]],
      ["InvokeRecorder2", ["arn:b"]],
    ]);
  });

  test("a queue target admits its rule in the queue's policy and sends the whole event", () => {
    const tf = synth((stack) => {
      const queue = new EventQueue(stack, "queue", { queueName: "kept" });
      new Rule(stack, "rule", { ruleName: "r", eventPattern: { source: ["aws.states"] } }).addTarget(new SqsQueueTarget(queue));
    });
    const target = Object.values(resourcesOf(tf, "aws_cloudwatch_event_target"))[0];
    expect(target).toMatchObject({ arn: "${aws_sqs_queue.queue.arn}", target_id: "queue" });
    expect(target).not.toHaveProperty("role_arn");
    expect(target).not.toHaveProperty("input_transformer");
    expect(JSON.parse(String(resourceAt(tf, "aws_sqs_queue_policy", "queue_policy").body.policy)).Statement[0]).toMatchObject({
      Sid: "AcceptEventsFromTheRule",
      Principal: { Service: "events.amazonaws.com" },
    });
  });

  test.each([
    [{ retryAttempts: 186 }, "retryAttempts must be an integer from 0 to 185. Received: 186"],
    [{ maxEventAgeInSeconds: 30 }, "maxEventAgeInSeconds must be an integer from 60 to 86400. Received: 30"],
  ])("rejects a retry policy EventBridge would refuse, at synth: %j", (props, message) => {
    expect(() =>
      synth((stack) => {
        new Rule(stack, "rule", { ruleName: "r", eventPattern: { source: ["s"] } }).addTarget(new StateMachineTarget(machine("m"), props));
      }),
    ).toThrow(message);
  });

  test("rejects an event pattern that matches on nothing, at synth", () => {
    expect(() => synth((stack) => new Rule(stack, "rule", { ruleName: "r", eventPattern: {} }))).toThrow(
      "eventPattern must match on at least one field. Received: {}",
    );
    expect(() => synth((stack) => new Rule(stack, "rule", { ruleName: "r", eventPattern: { source: [] } }))).toThrow(
      "eventPattern.source must list at least one value. Received: []",
    );
  });

  test("rejects a queue retention SQS would refuse, at synth", () => {
    expect(() => synth((stack) => new EventQueue(stack, "q", { queueName: "q", retentionSeconds: 30 }))).toThrow(
      "retentionSeconds must be an integer from 60 to 1209600. Received: 30",
    );
  });
});

describe("refactoring kept deployed resources where they were", () => {
  const tf = synthPipeline() as TerraformJson & { moved?: Array<{ from: string; to: string }> };

  test("the bus, the rule, the DLQ and the target role keep their Terraform addresses", () => {
    for (const [type, name] of [
      ["aws_cloudwatch_event_bus", "ingress_bus_16D4860C"],
      ["aws_cloudwatch_event_rule", "ingress_rule_8ED78EF9"],
      ["aws_sqs_queue", "ingress_dead-letter-queue_3FF3E5C4"],
      ["aws_iam_role", "ingress_target-role_6AEE48C9"],
      ["aws_iam_role_policy", "ingress_target-role_policy_5667228F"],
    ]) {
      expect(Object.keys(resourcesOf(tf, type))).toContain(name);
    }
  });

  test("the target and the DLQ policy, now inside their constructs, are moved from their old addresses", () => {
    const target = resourceAt(tf, "aws_cloudwatch_event_target", "ingress_rule_message-recorder-workflow");
    const policy = resourceAt(tf, "aws_sqs_queue_policy", "ingress_dead-letter-queue_policy");
    expect(tf.moved).toEqual([
      { from: "aws_cloudwatch_event_target.ingress_target_F16B49E0", to: `aws_cloudwatch_event_target.${target.name}` },
      { from: "aws_sqs_queue_policy.ingress_dead-letter-queue-policy_5B4C8EEA", to: `aws_sqs_queue_policy.${policy.name}` },
    ]);
    expect(target.body.arn).toBe(ref("aws_sfn_state_machine", Object.keys(resourcesOf(tf, "aws_sfn_state_machine"))[0], "arn"));
  });
});

describe("NodejsFunction", () => {
  test("bundles its own entry into the stack's assets, with its log group created first and a role that may write it", () => {
    const tf = synth((stack) => new NodejsFunction(stack, "fn", { functionName: "hello", entry: RECORDER_ENTRY, environment: { A: "1" } }));
    const fn = resourceAt(tf, "aws_lambda_function", "fn_function").body;
    expect(fn).toMatchObject({
      function_name: "hello",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      timeout: 3,
      memory_size: 128,
    });
    expect(fn.environment.variables).toEqual({ A: "1", NODE_OPTIONS: "--enable-source-maps" });
    expect(fn.depends_on).toEqual([expect.stringMatching(/^aws_cloudwatch_log_group\.fn_log-group_/)]);
    expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(policyOf(tf, "fn_role_policy").map((s) => s.Sid)).toEqual(["WriteOwnLogs", "WriteTraces"]);
    expect(fn.tracing_config).toEqual({ mode: "Active" });
  });

  test("takes an existing role, and grants land on it", () => {
    const tf = synth((stack) => {
      const role = new ServiceRole(stack, "shared", { roleName: "shared", assumedBy: "lambda.amazonaws.com", description: "d" });
      const fn = new NodejsFunction(stack, "fn", { functionName: "hello", entry: RECORDER_ENTRY, role });
      Grant.addToPrincipal(fn, { sid: "Extra", actions: ["sqs:SendMessage"], resources: ["arn:q"] });
    });
    expect(Object.values(resourcesOf(tf, "aws_iam_role")).map((r) => r.name)).toEqual(["shared"]);
    expect(policyOf(tf, "shared_policy").map((s) => s.Sid)).toEqual(["WriteOwnLogs", "WriteTraces", "Extra"]);
  });

  test("rejects a timeout or memory Lambda would refuse, at synth", () => {
    expect(() =>
      synth((stack) => new NodejsFunction(stack, "fn", { functionName: "f", entry: RECORDER_ENTRY, timeoutSeconds: 901 })),
    ).toThrow("timeoutSeconds must be an integer from 1 to 900. Received: 901");
    expect(() => synth((stack) => new NodejsFunction(stack, "fn", { functionName: "f", entry: RECORDER_ENTRY, memoryMb: 64 }))).toThrow(
      "memoryMb must be an integer from 128 to 10240. Received: 64",
    );
  });
});

describe("layers", () => {
  test("nothing under lambdas/ imports from stacks/: the build layer does not depend on the infrastructure", () => {
    const { readdirSync, readFileSync } = jest.requireActual<typeof import("node:fs")>("node:fs");
    const root = path.join(__dirname, "..", "lambdas");
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(3);
    const offending = files.filter(
      (f) =>
        /from\s+["'][./]*\/?stacks\//.test(readFileSync(`${root}/${f}`, "utf8")) ||
        /["']\.\.\/(\.\.\/)?stacks/.test(readFileSync(`${root}/${f}`, "utf8")),
    );
    expect(offending).toEqual([]);
  });
});

describe("MessageWorkflow", () => {
  test("rejects an EXPRESS execution timeout over the service's 5 minutes, at synth", () => {
    expect(() =>
      synth((stack) => {
        const table = new MessagesTable(stack, "table", { tableName: "t", protectFromDeletion: false });
        const recorder = new RecorderFunction(stack, "recorder", { functionName: "r", table, archive: testArchive() });
        const queue = new EventQueue(stack, "failed", { queueName: "f" });
        new MessageWorkflow(stack, "workflow", {
          stateMachineName: "w",
          recorder,
          workflowType: "EXPRESS",
          failedExecutionsQueue: queue,
          stateMachineTimeoutSeconds: 400,
        });
      }),
    ).toThrow("stateMachineTimeoutSeconds must be at most 300 for EXPRESS. Received: 400");
  });

  test("throws when an EXPRESS workflow has no queue for its failures", () => {
    expect(() =>
      synth((stack) => {
        const table = new MessagesTable(stack, "table", { tableName: "t", protectFromDeletion: false });
        const recorder = new RecorderFunction(stack, "recorder", { functionName: "r", table, archive: testArchive() });
        new MessageWorkflow(stack, "workflow", { stateMachineName: "w", recorder, workflowType: "EXPRESS" });
      }),
    ).toThrow(/an EXPRESS workflow needs failedExecutionsQueue/);
  });
});

describe("one workflow model, nested states included", () => {
  const task = (fn: string, extra: object = {}) => ({
    Type: "Task",
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: { FunctionName: `\${${fn}}`, "Payload.$": "$" },
    TimeoutSeconds: 10,
    Retry: [{ ErrorEquals: ["Lambda.Unknown"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
    ...extra,
  });
  const composed = {
    StartAt: "Fan Out",
    TimeoutSeconds: 120,
    States: {
      "Fan Out": {
        Type: "Parallel",
        Branches: [
          { StartAt: "Audit", States: { Audit: task("AuditArn", { End: true }) } },
          {
            StartAt: "Each Item",
            States: {
              "Each Item": {
                Type: "Map",
                ItemsPath: "$.items",
                ItemProcessor: {
                  ProcessorConfig: { Mode: "INLINE" },
                  StartAt: "Enrich",
                  States: { Enrich: task("EnrichArn", { End: true }) },
                },
                End: true,
              },
            },
          },
        ],
        Next: "Record",
      },
      Record: task("RecorderArn", { End: true }),
    },
  };

  function build(template: object, timeoutSeconds = 3) {
    return synth((stack) => {
      const table = new MessagesTable(stack, "table", { tableName: "t" });
      const archive = testArchive();
      const recorder = new RecorderFunction(stack, "recorder", { functionName: "recorder", table, archive });
      const audit = new NodejsFunction(stack, "audit", { functionName: "audit", entry: RECORDER_ENTRY, archive, timeoutSeconds });
      const enrich = new NodejsFunction(stack, "enrich", { functionName: "enrich", entry: RECORDER_ENTRY, archive });
      new MessageWorkflow(stack, "composed", {
        stateMachineName: "composed",
        recorder,
        definition: { template, functions: { RecorderArn: recorder, AuditArn: audit, EnrichArn: enrich } },
      });
    });
  }

  test("a task in a Parallel branch and one in a Map iterator get invoke permission, as the top-level one does", () => {
    const invoke = policyOf(build(composed), "composed_role_policy").filter((s) => s.Action.includes("lambda:InvokeFunction"));
    expect(
      invoke
        .flatMap((s) => s.Resource)
        .filter((r) => !r.endsWith(":*"))
        .map((r) => r.replace(/_[0-9A-F]{8}\.arn\}$/, ".arn}"))
        .sort(),
    ).toEqual([
      "${aws_lambda_function.audit_function.arn}",
      "${aws_lambda_function.enrich_function.arn}",
      "${aws_lambda_function.recorder_function.arn}",
    ]);
  });

  test("a function the definition never calls gets no permission", () => {
    const onlyRecord = { StartAt: "Record", TimeoutSeconds: 120, States: { Record: task("RecorderArn", { End: true }) } };
    expect(() => build(onlyRecord)).toThrow(/substitution\(s\) AuditArn, EnrichArn match no placeholder/);
  });

  test("the retry budget counts the nested tasks: three tasks of 10 s with two retried 3 s attempts and 3 s of backoff each", () => {
    const model = WorkflowModel.of(JSON.stringify(composed));
    expect(model.tasks.map((t) => [t.within.join(" / "), t.name])).toEqual([
      ["Fan Out / branch 1", "Audit"],
      ["Fan Out / branch 2 / Each Item / iterator", "Enrich"],
      ["", "Record"],
    ]);
    expect(model.retryBudget(3)).toEqual({ retriedAttemptsSeconds: 18, backoffSeconds: 9, finalAttemptsSeconds: 30, totalSeconds: 57 });
  });

  test("throws at synth when a nested task would time out before its function, naming where it is", () => {
    expect(() => build(composed, 10)).toThrow(/Task "Fan Out \/ branch 1 \/ Audit" times out after 10 s, not after the function's 10 s/);
  });

  test("throws at synth when the nested retries, at the slowest function's timeout (the recorder's 5 s), do not fit the execution timeout", () => {
    expect(() => build({ ...composed, TimeoutSeconds: 69 })).toThrow(
      /the worst case of the retries, 69 s, does not fit the execution timeout of 69 s/,
    );
    expect(() => build({ ...composed, TimeoutSeconds: 70 })).not.toThrow();
  });
});

describe("metrics and escape hatches, as AWS CDK's constructs offer them", () => {
  test("every metric method takes a statistic and a period; the owner's defaults stand otherwise", () => {
    let checked = false;
    synth((stack) => {
      const queue = new EventQueue(stack, "q", { queueName: "q" });
      const rule = new Rule(stack, "r", { ruleName: "r", eventPattern: { source: ["s"] } });
      expect(queue.metricOldestMessageAge()).toMatchObject({ namespace: "AWS/SQS", statistic: "Maximum", periodSeconds: 300 });
      expect(queue.metricOldestMessageAge({ periodSeconds: 900 })).toMatchObject({ statistic: "Maximum", periodSeconds: 900 });
      expect(rule.metricMatchedEvents({ statistic: "SampleCount" })).toMatchObject({
        namespace: "AWS/Events",
        metricName: "MatchedEvents",
        statistic: "SampleCount",
        periodSeconds: 60,
      });
      checked = true;
    });
    expect(checked).toBe(true);
  });

  test("each construct exposes its underlying resource, and a change made through it reaches the synthesized stack", () => {
    const tf = synth((stack) => {
      const queue = new EventQueue(stack, "q", { queueName: "q" });
      queue.resource.addOverride("delay_seconds", 5);
    });
    expect(Object.values(resourcesOf(tf, "aws_sqs_queue")).map((q) => q.delay_seconds)).toEqual([5]);
  });
});

describe("EventArchive", () => {
  test("archives the bus's events that match the pattern, for the retention given", () => {
    const tf = synth((stack) => {
      const bus = new EventBus(stack, "bus", { eventBusName: "b" });
      new EventArchive(stack, "archive", { archiveName: "b-archive", eventBus: bus, eventPattern: { source: ["s"] }, retentionDays: 0 });
    });
    expect(Object.values(resourcesOf(tf, "aws_cloudwatch_event_archive"))).toEqual([
      expect.objectContaining({
        name: "b-archive",
        event_source_arn: "${aws_cloudwatch_event_bus.bus.arn}",
        event_pattern: '{"source":["s"]}',
        retention_days: 0,
      }),
    ]);
  });

  test.each([
    [
      { archiveName: "x".repeat(49) },
      `archiveName must be 1-48 characters of letters, digits, '.', '-' and '_'. Received: ${"x".repeat(49)}`,
    ],
    [{ archiveName: "a", retentionDays: -1 }, "retentionDays must be a whole number of days, 0 (for ever) or more. Received: -1"],
  ])("throws at synth for %o, naming the bad value", (props, message) => {
    expect(() =>
      synth((stack) => {
        const bus = new EventBus(stack, "bus", { eventBusName: "b" });
        new EventArchive(stack, "archive", { eventBus: bus, eventPattern: { source: ["s"] }, ...props });
      }),
    ).toThrow(message);
  });
});

describe("resources made elsewhere, imported by ARN", () => {
  const ARNS = {
    bus: "arn:aws:events:eu-west-1:123456789012:event-bus/shared-bus",
    stateMachine: "arn:aws:states:eu-west-1:123456789012:stateMachine:Elsewhere",
    queue: "arn:aws:sqs:eu-west-1:123456789012:shared-dlq",
    table: "arn:aws:dynamodb:eu-west-1:123456789012:table/SharedTable",
  };

  test("a rule on an imported bus starts an imported state machine, dead-letters to an imported queue, and a recorder writes to an imported table", () => {
    let warnings: string[] = [];
    const tf = synth((stack) => {
      const bus = EventBus.fromEventBusArn(stack, "bus", ARNS.bus);
      const dlq = EventQueue.fromQueueArn(stack, "dlq", ARNS.queue);
      const rule = new Rule(stack, "rule", { ruleName: "imported", eventBus: bus, eventPattern: { source: ["com.example"] } });
      rule.addTarget(
        new StateMachineTarget(MessageWorkflow.fromStateMachineArn(stack, "machine", ARNS.stateMachine), { deadLetterQueue: dlq }),
      );
      const recorder = new RecorderFunction(stack, "recorder", {
        functionName: "r",
        table: MessagesTable.fromTableArn(stack, "table", ARNS.table),
        archive: testArchive(),
      });
      const operator = new ServiceRole(stack, "operator", { roleName: "operator", assumedBy: "lambda.amazonaws.com", description: "test" });
      bus.grantPutEvents(operator);
      dlq.grantConsumeMessages(operator);
      expect(recorder.functionName).toBeDefined();
      warnings = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata)
        .filter((m) => m.type === "@cdktf/warn")
        .map((m) => String(m.data));
    });
    expect(Object.values(resourcesOf(tf, "aws_cloudwatch_event_rule"))).toEqual([
      expect.objectContaining({ event_bus_name: "shared-bus" }),
    ]);
    expect(Object.values(resourcesOf(tf, "aws_cloudwatch_event_target"))).toEqual([
      expect.objectContaining({ arn: ARNS.stateMachine, dead_letter_config: { arn: ARNS.queue } }),
    ]);
    expect(policyOf(tf, "rule_target-role_policy")).toEqual([
      expect.objectContaining({ Action: ["states:StartExecution"], Resource: [ARNS.stateMachine] }),
    ]);
    expect(policyOf(tf, "recorder_role_policy")).toEqual(
      expect.arrayContaining([expect.objectContaining({ Action: ["dynamodb:PutItem"], Resource: [ARNS.table] })]),
    );
    expect(Object.values(resourcesOf(tf, "aws_lambda_function"))[0]).toMatchObject({
      environment: { variables: { MESSAGES_TABLE_NAME: "SharedTable" } },
    });
    expect(policyOf(tf, "operator_policy")).toEqual([
      expect.objectContaining({ Action: ["events:PutEvents"], Resource: [ARNS.bus] }),
      expect.objectContaining({ Resource: [ARNS.queue] }),
    ]);
    // Nothing of the imported resources is created here: no bus, queue, queue policy, table or state machine.
    for (const type of [
      "aws_cloudwatch_event_bus",
      "aws_sqs_queue",
      "aws_sqs_queue_policy",
      "aws_dynamodb_table",
      "aws_sfn_state_machine",
    ]) {
      expect({ type, found: Object.keys(resourcesOf(tf, type)) }).toEqual({ type, found: [] });
    }
    // The imported queue's policy is not this stack's to change: synth says what it must admit.
    expect(warnings).toEqual([
      expect.stringMatching(/^shared-dlq is imported: its queue policy must let events.amazonaws.com sqs:SendMessage/),
    ]);
  });

  test.each([
    [
      "a queue",
      () => EventQueue.fromQueueArn(new TerraformStack(Testing.app(), "s"), "q", "shared-dlq"),
      /"shared-dlq" is not a literal ARN of sqs/,
    ],
    [
      "a table",
      () => MessagesTable.fromTableArn(new TerraformStack(Testing.app(), "s"), "t", ARNS.queue),
      /is not a literal ARN of dynamodb/,
    ],
    [
      "a state machine",
      () =>
        MessageWorkflow.fromStateMachineArn(
          new TerraformStack(Testing.app(), "s"),
          "m",
          "arn:aws:states:eu-west-1:123456789012:activity:x",
        ),
      /is not a state machine ARN/,
    ],
    [
      "a bus",
      () => EventBus.fromEventBusArn(new TerraformStack(Testing.app(), "s"), "b", "arn:aws:events:eu-west-1:123456789012:rule/x"),
      /is not an event bus ARN/,
    ],
  ])("refuses an ARN that is not one of %s, naming it", (_what, importIt, message) => {
    expect(importIt).toThrow(message);
  });
});
