import { randomUUID } from "node:crypto";
import * as path from "node:path";
import type { StateMachineDefinition } from "aws-local-stepfunctions";
import { LocalRestMethod, RestMethodDeclaration } from "./api-gateway";
import { createTable, getItem, LOCAL_AWS, LocalDynamoDB, startDynamoDB, TableDeclaration } from "./dynamodb";
import { DEFAULT_BUS, EventRouter, queueNameOf, readRules, TargetDelivery } from "./event-bus";
import { DynamoDBFaultProxy, FaultKeys, FaultPlan } from "./faults";
import { extractArchive, Handler } from "./lambda-archive";
import { LambdaUnknownError, LocalFunction } from "./lambda-service";
import { LocalQueues } from "./queues";
import { RECORDER_FAULT_KEYS } from "./recorder-fault-keys";
import { LOCAL_ACCOUNT, readStack, Resource, StackReferences } from "../synthesized/stack-json";
import { ExecutionRecord, ExecutionResult, LocalStateMachine } from "./state-machine";
import { TaskCallbackEndpoint } from "./task-callbacks";
import { LocalAwsEndpoints } from "./aws-endpoints";
import { matchesPattern } from "./event-pattern";
import { AWS_LIMITS, putEventsEntryBytes } from "./aws-limits";
import type { WorkflowType } from "../../stacks/workflow-model";
import { at, jsonObject, JsonObject, stringAt, textOf } from "../json-value";

export type { ExecutionEvent, ExecutionResult, ExecutionStatus } from "./state-machine";
export type { TargetDelivery } from "./event-bus";
export { LOCAL_ACCOUNT };

/**
 * Glue: the whole stack, offline, read from a synthesized stack folder (not from the sources), wired from the
 * generic parts: every table in dynalite (behind the fault proxy), every Lambda function from its own zip in its
 * own execution environments (lambda-service.ts) with its environment resolved from the stack, every state
 * machine (state-machine.ts) whose Tasks may invoke any of the functions, every rule with its targets
 * (event-bus.ts), the queues, the Step Functions endpoint (callbacks, and StartExecution, DescribeExecution and
 * ListExecutions for the redrive), and the REST API's model and mapping templates in front of PutEvents.
 *
 * publish(event) does what EventBridge would: every matching rule of the bus delivers to its targets. An
 * execution that ends puts a "Step Functions Execution Status Change" event on the default bus, where a capture
 * rule may send it to a queue. The accessors of one resource (stateMachineArn, tableName, busName, queueNames)
 * name the first one the stack declares, for stacks that have one.
 */
export interface PublishResult {
  readonly matched: boolean;
  readonly execution?: ExecutionResult;
  /** EventBridge could not start the execution within the target's retries: the event is in the DLQ. */
  readonly deadLettered?: boolean;
}

export interface PostResult extends PublishResult {
  readonly status: number;
  readonly body: unknown;
  readonly eventId?: string;
}

/**
 * How a Task reaches a function; replaceable to measure invocations or to simulate a function that returns
 * without calling back. `invoke` runs the function in its execution environment.
 */
export type FunctionInvoker = (
  payload: unknown,
  invoke: Handler,
  fn: { readonly functionName: string; readonly functionArn: string },
) => Promise<unknown>;

export interface LocalPipelineOptions {
  /** A synthesized stack folder: cdktf.out/stacks/<stack>. */
  readonly stackDir: string;
  /** Wraps every invocation of every function. @default runs the function */
  readonly invokeFunction?: FunctionInvoker;
  /** Faults to inject at the endpoints. @default none */
  readonly faults?: FaultPlan;
  /** Where the endpoints read the message a request is about, for the faults. @default the recorder's (RECORDER_FAULT_KEYS) */
  readonly faultKeys?: FaultKeys;
  /**
   * Milliseconds between retries of a Task instead of the definition's IntervalSeconds and backoff, so fault
   * scenarios run in milliseconds. @default the definition's own waits
   */
  readonly retryIntervalMs?: number;
}

interface Running {
  readonly fn: LocalFunction;
  readonly requestId: string;
}

export class LocalPipeline {
  readonly faults: FaultPlan;
  readonly queues: LocalQueues;
  /** Every function of the stack, by ARN. */
  readonly functions = new Map<string, LocalFunction>();
  /** Every state machine of the stack, by ARN. */
  readonly stateMachines = new Map<string, LocalStateMachine>();
  /** Every table of the stack, by name. */
  readonly tables = new Map<string, TableDeclaration>();
  readonly busName: string;
  readonly queueNames: { readonly deadLetter?: string; readonly failedExecutions?: string };
  private readonly router: EventRouter;
  private readonly api?: LocalRestMethod;
  private readonly apiEventSource?: string;
  private readonly archiveArns: readonly string[];
  /** The reconciliation rule and its queue, when the stack has them. */
  readonly reconciliation?: { readonly ruleArn: string; readonly queueName: string };
  /** The type of the first state machine. */
  readonly workflowType: WorkflowType;
  private readonly region: string;
  private readonly faultKeys: FaultKeys;
  private readonly invokeHook: FunctionInvoker;
  /** Invocations in flight, by fault key, so a crash signalled by the DynamoDB proxy kills the right one. */
  private readonly running = new Map<string, Set<Running>>();
  /** Every archive of the stack, with the events it kept (those its pattern matched, not replays), and when. */
  readonly archives = new Map<
    string,
    {
      readonly name: string;
      readonly busName: string;
      readonly pattern: unknown;
      readonly events: Array<{ readonly time: number; readonly event: unknown }>;
    }
  >();
  /** Replays started through StartReplay, by name. */
  readonly replays = new Map<
    string,
    {
      state: "STARTING" | "RUNNING" | "COMPLETED";
      readonly archiveArn: string;
      readonly startTime: number;
      readonly endTime: number;
      readonly filterArns: readonly string[];
      replayed: number;
      done: Promise<void>;
    }
  >();
  /** What each log group received: the execution log lines of the state machines that log to it. */
  readonly logs = new Map<string, Array<{ timestamp: number; message: string }>>();
  /** The state of each alarm of the stack, as DescribeAlarms answers it; every alarm starts OK. */
  readonly alarmStates = new Map<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">();

  private constructor(
    private readonly stackDir: string,
    refs: StackReferences,
    queues: LocalQueues,
    private readonly dynamodb: LocalDynamoDB,
    private readonly dynamodbProxy: DynamoDBFaultProxy,
    private readonly callbacks: TaskCallbackEndpoint,
    private readonly aws: LocalAwsEndpoints,
    options: LocalPipelineOptions,
  ) {
    this.queues = queues;
    this.region = refs.region;
    this.faults = options.faults ?? new FaultPlan();
    this.faultKeys = options.faultKeys ?? RECORDER_FAULT_KEYS;
    this.invokeHook = options.invokeFunction ?? ((payload, invoke) => invoke(payload));
    this.dynamodbProxy.onCrash = (key) => this.crashInvocations(key);

    for (const [, table] of refs.resources("aws_dynamodb_table")) {
      const declaration = { ...table, name: refs.resolve(String(table.name)) } as unknown as TableDeclaration;
      this.tables.set(declaration.name, declaration);
    }
    for (const [name, fn] of refs.resources("aws_lambda_function")) this.addFunction(refs, name, fn);
    for (const [name, machine] of refs.resources("aws_sfn_state_machine")) {
      const stateMachineArn = refs.arn("aws_sfn_state_machine", name);
      this.stateMachines.set(
        stateMachineArn,
        new LocalStateMachine({
          stateMachineArn,
          definition: JSON.parse(refs.resolve(String(machine.definition))) as StateMachineDefinition,
          callbacks,
          resolveFunction: (functionName) => this.resolveFunction(functionName),
          invoke: (functionArn, payload) => this.invokeFunction(functionArn, payload),
          sendMessage: (queueUrl, body) => Promise.resolve(this.queues.send(queueUrl.split("/").pop()!, body)),
          retryIntervalMs: options.retryIntervalMs,
          // EXPRESS workflows send no status-change events (they report their failures themselves).
          type: machine.type === "EXPRESS" ? "EXPRESS" : "STANDARD",
          onEnd: async (record) => {
            this.logExecution(refs, machine, record);
            if (machine.type === "EXPRESS") return;
            // Step Functions sends a status change event for every execution that ends (the default bus).
            const local = this.stateMachines.get(stateMachineArn)!;
            await this.router.publish(local.statusChangeEvent(record, this.region, LOCAL_ACCOUNT), DEFAULT_BUS);
          },
        }),
      );
    }
    const rules = readRules(refs);
    this.router = new EventRouter({
      rules,
      queues,
      faults: this.faults,
      startExecution: (stateMachineArn, input) => {
        const machine = this.stateMachines.get(stateMachineArn);
        if (!machine) throw new Error(`a rule targets ${stateMachineArn}, which is not a state machine of the stack`);
        return machine.start(input).done;
      },
    });
    const [bus] = refs.resources("aws_cloudwatch_event_bus");
    this.busName = bus ? refs.resolve(String(bus[1].name)) : DEFAULT_BUS;
    const deadLetter = rules.flatMap((r) => r.targets).find((t) => t.kind === "state-machine" && t.deadLetterQueue)?.deadLetterQueue;
    const capture = rules.find((r) => r.busName === DEFAULT_BUS)?.targets.find((t) => t.kind === "queue");
    // An EXPRESS workflow has no capture rule: it sends its failures to the queue named in its own definition.
    const sentTo = refs
      .resources("aws_sfn_state_machine")
      .map(([, m]) => /"QueueUrl":"[^"]*\/([^/"]+)"/.exec(refs.resolve(String(m.definition)))?.[1])
      .find(Boolean);
    const failedExecutions = capture ? queueNameOf(capture.arn) : sentTo;
    this.queueNames = { ...(deadLetter ? { deadLetter } : {}), ...(failedExecutions ? { failedExecutions } : {}) };
    this.api = restMethod(refs);
    this.workflowType = refs.resources("aws_sfn_state_machine")[0]?.[1].type === "EXPRESS" ? "EXPRESS" : "STANDARD";
    // The rule that matches only replays, and the queue it feeds (npm run reconcile's).
    const replayRule = rules.find((r) => JSON.stringify(r.pattern).includes('"replay-name"'));
    const replayQueue = replayRule?.targets.find((t) => t.kind === "queue");
    if (replayRule && replayQueue) this.reconciliation = { ruleArn: replayRule.arn, queueName: queueNameOf(replayQueue.arn) };
    const template = refs
      .resources("aws_api_gateway_integration")
      .map(([, i]) => refs.resolve(stringAt(i, "request_templates", "application/json") ?? ""))
      .join("");
    this.apiEventSource = /"Source":\s*"([^"]+)"/.exec(template)?.[1];
    // The log group of each state machine exists before any execution writes to it.
    for (const [, machine] of refs.resources("aws_sfn_state_machine")) {
      const reference = /\$\{aws_cloudwatch_log_group\.([^.}]+)\.arn\}/.exec(
        stringAt(machine, "logging_configuration", "log_destination") ?? "",
      );
      if (reference) this.logs.set(refs.resolve(String(refs.stack.resource.aws_cloudwatch_log_group?.[reference[1]]?.name)), []);
    }

    callbacks.serve("StartExecution", (body) => {
      const machine = this.stateMachines.get(String(body.stateMachineArn));
      return Promise.resolve(
        machine
          ? machine.startExecution(body)
          : [400, { __type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${String(body.stateMachineArn)}'` }],
      );
    });
    callbacks.serve("StartSyncExecution", async (body) => {
      const machine = this.stateMachines.get(String(body.stateMachineArn));
      return machine
        ? machine.startSyncExecution(body)
        : [400, { __type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${String(body.stateMachineArn)}'` }];
    });
    callbacks.serve("DescribeExecution", (body) => {
      const described = [...this.stateMachines.values()].map((m) => m.describeExecution(String(body.executionArn))).find(Boolean);
      return Promise.resolve(
        described
          ? [200, described]
          : [400, { __type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${String(body.executionArn)}'` }],
      );
    });
    for (const [, alarm] of refs.resources("aws_cloudwatch_metric_alarm"))
      this.alarmStates.set(refs.resolve(String(alarm.alarm_name)), "OK");
    for (const [name, archive] of refs.resources("aws_cloudwatch_event_archive")) {
      const source = /\$\{aws_cloudwatch_event_bus\.([^.}]+)\.arn\}/.exec(String(archive.event_source_arn));
      const busName = source ? refs.resolve(String(refs.stack.resource.aws_cloudwatch_event_bus?.[source[1]]?.name)) : DEFAULT_BUS;
      this.archives.set(refs.arn("aws_cloudwatch_event_archive", name), {
        name: refs.resolve(String(archive.name)),
        busName,
        pattern: JSON.parse(stringAt(archive, "event_pattern") ?? "{}") as unknown,
        events: [],
      });
    }
    this.archiveArns = [...this.archives.keys()];
    this.serveOperatorApis();
    callbacks.serve("ListExecutions", (body) => {
      const machine = this.stateMachines.get(String(body.stateMachineArn));
      return Promise.resolve(
        machine ? machine.listExecutions(body) : [400, { __type: "StateMachineDoesNotExist", message: "State Machine Does Not Exist" }],
      );
    });
  }

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const stack = readStack(options.stackDir);
    const queues = new LocalQueues();
    await queues.start();
    // A queue's url (and id, which is its URL in Terraform) is the local endpoint's.
    const refs: StackReferences = new StackReferences(stack, (type, name, attribute): string | undefined => {
      if (type !== "aws_sqs_queue" || (attribute !== "url" && attribute !== "id")) return undefined;
      return queues.url(refs.resolve(String(stack.resource.aws_sqs_queue?.[name]?.name)));
    });
    for (const [, queue] of refs.resources("aws_sqs_queue")) {
      queues.declare(refs.resolve(String(queue.name)), typeof queue.max_message_size === "number" ? queue.max_message_size : undefined);
    }
    const faults = options.faults ?? new FaultPlan();
    const faultKeys = options.faultKeys ?? RECORDER_FAULT_KEYS;
    const dynamodb = await startDynamoDB();
    const dynamodbProxy = await DynamoDBFaultProxy.start(dynamodb.endpoint, faults, faultKeys);
    const callbacks = await TaskCallbackEndpoint.start(faults, faultKeys);
    const aws = await new LocalAwsEndpoints().start();
    try {
      const pipeline = new LocalPipeline(options.stackDir, refs, queues, dynamodb, dynamodbProxy, callbacks, aws, {
        ...options,
        faults,
        faultKeys,
      });
      for (const table of pipeline.tables.values()) await createTable(dynamodb.client, table);
      return pipeline;
    } catch (error) {
      // A stack the local run refuses leaves no endpoint listening.
      await Promise.all([dynamodbProxy.close(), dynamodb.close(), callbacks.close(), queues.close(), aws.close()]);
      throw error;
    }
  }

  /** The first state machine of the stack. */
  get stateMachineArn(): string {
    return first(this.stateMachines.keys(), "aws_sfn_state_machine");
  }

  /** The first table of the stack. */
  get tableName(): string {
    return first(this.tables.keys(), "aws_dynamodb_table");
  }

  /**
   * Puts one event on a bus (the stack's first by default). Every matching rule delivers to its targets. The
   * result describes the first state-machine target: whether one matched, and how its execution ended.
   */
  async publish(event: unknown, busName = this.busName): Promise<PublishResult> {
    const delivered = (await this.putEvent(event, busName)).find((d) => d.target.kind === "state-machine");
    if (!delivered) return { matched: false };
    return {
      matched: true,
      ...(delivered.execution ? { execution: delivered.execution } : {}),
      ...(delivered.deadLettered ? { deadLettered: true } : {}),
    };
  }

  /**
   * Puts one event on a bus; what became of it at every target of every matching rule. An archive of the bus keeps
   * it first when its pattern matches (a replay is never archived again).
   */
  putEvent(event: unknown, busName = this.busName): Promise<TargetDelivery[]> {
    if (typeof event === "object" && event !== null && !("replay-name" in event)) {
      for (const archive of this.archives.values()) {
        if (archive.busName === busName && matchesPattern(archive.pattern, event)) archive.events.push({ time: Date.now(), event });
      }
    }
    return this.router.publish(event, busName);
  }

  /**
   * StartReplay: the archive's events of the window, each with `replay-name`, re-published to the bus for the rules
   * in FilterArns only; the replay is RUNNING until every one was delivered, then COMPLETED.
   * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_StartReplay.html
   */
  private startReplay(body: JsonObject): [number, unknown] {
    const name = textOf(body.ReplayName ?? "");
    const archive = this.archives.get(String(body.EventSourceArn));
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) return [400, { __type: "ValidationException", message: `Invalid ReplayName: ${name}` }];
    if (!archive) return [400, { __type: "ResourceNotFoundException", message: `Archive ${String(body.EventSourceArn)} does not exist.` }];
    if (this.replays.has(name)) return [400, { __type: "ResourceAlreadyExistsException", message: `Replay ${name} already exists.` }];
    const startTime = Number(body.EventStartTime) * 1000;
    const endTime = Number(body.EventEndTime) * 1000;
    const filterArns = (at(body, "Destination", "FilterArns") ?? []) as string[];
    const busName = textOf(at(body, "Destination", "Arn") ?? "")
      .split("/")
      .pop()!;
    const replay = {
      state: "STARTING" as "STARTING" | "RUNNING" | "COMPLETED",
      archiveArn: String(body.EventSourceArn),
      startTime,
      endTime,
      filterArns,
      replayed: 0,
      done: Promise.resolve(),
    };
    replay.done = (async () => {
      replay.state = "RUNNING";
      for (const { event } of archive.events.filter((e) => e.time >= startTime && e.time < endTime)) {
        await this.router.publish({ ...(event as object), "replay-name": name }, busName, filterArns.length > 0 ? filterArns : undefined);
        replay.replayed++;
      }
      replay.state = "COMPLETED";
    })();
    this.replays.set(name, replay);
    return [
      200,
      { ReplayArn: `arn:aws:events:${this.region}:${LOCAL_ACCOUNT}:replay/${name}`, State: "STARTING", ReplayStartTime: Date.now() / 1000 },
    ];
  }

  /** What `POST /messages` does: the REST API's validation and mapping templates around PutEvents on the bus. */
  async postMessage(body: string, contentType = "application/json", headers: Readonly<Record<string, string>> = {}): Promise<PostResult> {
    if (!this.api) throw new Error("the stack has no REST API integration with PutEvents");
    let published: PublishResult & { eventId?: string } = { matched: false };
    const answer = await this.api.call(
      body,
      async (request) => {
        const [status, response, event] = this.putEvents(request as { Entries: Array<Record<string, string>> });
        if (event)
          published = {
            ...(await this.publish(event, String((request as { Entries: Array<{ EventBusName: string }> }).Entries[0].EventBusName))),
            eventId: event.id,
          };
        return [status, response];
      },
      contentType,
      headers,
    );
    return { ...published, status: answer.status, body: answer.body };
  }

  /** The item of a table (the stack's first by default) whose string hash key is `key`. */
  async storedItem(key: string, tableName = this.tableName) {
    const table = this.tables.get(tableName);
    if (!table) throw new Error(`no table ${tableName} in the stack; tables: ${[...this.tables.keys()].join(", ")}`);
    return getItem(this.dynamodb.client, table, key);
  }

  get dynamoDBClient() {
    return this.dynamodb.client;
  }

  /**
   * Endpoints for SDK clients (redrive, verify): Step Functions, SQS and DynamoDB; EventBridge, CloudWatch Logs and
   * CloudWatch; and the REST API (`<api>/v1/messages`).
   */
  get endpoints() {
    return {
      sfn: this.callbacks.endpoint,
      sqs: this.queues.endpoint,
      dynamodb: this.dynamodb.endpoint,
      events: this.aws.endpoint,
      logs: this.aws.endpoint,
      cloudwatch: this.aws.endpoint,
      api: this.aws.endpoint,
    };
  }

  /** The same endpoints as the SDK reads them from the environment (AWS_ENDPOINT_URL_<SERVICE>), for a CLI run as a process. */
  get endpointEnvironment(): Record<string, string> {
    const e = this.endpoints;
    return {
      AWS_ENDPOINT_URL_SFN: e.sfn,
      AWS_ENDPOINT_URL_SQS: e.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: e.dynamodb,
      AWS_ENDPOINT_URL_EVENTBRIDGE: e.events,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: e.logs,
      AWS_ENDPOINT_URL_CLOUDWATCH: e.cloudwatch,
    };
  }

  /** What `terraform output -json` would give for this stack, with the local endpoints' URLs. */
  outputs(): Record<string, { value: string }> {
    const values: Record<string, string> = {
      state_machine_arn: this.stateMachineArn,
      workflow_type: this.workflowType,
      messages_table_name: this.tableName,
      event_bus_name: this.busName,
      event_source: this.eventSource,
      event_bus_arn: `arn:aws:events:${this.region}:${LOCAL_ACCOUNT}:event-bus/${this.busName}`,
      ...(this.archiveArns[0]
        ? { event_archive_arn: this.archiveArns[0], event_archive_name: this.archives.get(this.archiveArns[0])!.name }
        : {}),
      ...(this.reconciliation
        ? { reconciliation_rule_arn: this.reconciliation.ruleArn, reconciliation_queue_url: this.queues.url(this.reconciliation.queueName) }
        : {}),
      messages_api_url: `${this.aws.endpoint}/v1/messages`,
      state_machine_log_group_name: this.stateMachineLogGroup ?? "",
      alarm_name_prefix: this.alarmNamePrefix,
      ...(this.queueNames.deadLetter ? { dead_letter_queue_url: this.queues.url(this.queueNames.deadLetter) } : {}),
      ...(this.queueNames.failedExecutions ? { failed_executions_queue_url: this.queues.url(this.queueNames.failedExecutions) } : {}),
    };
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value }]));
  }

  /** Events EventBridge could not even write to a dead-letter queue (InvocationsFailedToBeSentToDLQ): lost, unless archived. */
  get failedToDeadLetter() {
    return this.router.failedToDeadLetter;
  }

  /** Every SendTaskSuccess/SendTaskFailure the functions sent. */
  get callbacksReceived() {
    return this.callbacks.received;
  }

  /** Waits for every execution started so far (redrive starts them without waiting). */
  async settled(): Promise<void> {
    await Promise.all([...this.replays.values()].map((r) => r.done.catch(() => undefined)));
    await Promise.all([...this.stateMachines.values()].map((m) => m.settled()));
  }

  async close(): Promise<void> {
    await this.settled();
    await Promise.all([...this.functions.values()].map((fn) => fn.close()));
    await this.dynamodbProxy.close();
    await this.dynamodb.close();
    await this.callbacks.close();
    await this.queues.close();
    await this.aws.close();
  }

  private addFunction(refs: StackReferences, name: string, fn: Resource): void {
    const functionArn = refs.arn("aws_lambda_function", name);
    // NODE_OPTIONS configures the Lambda runtime's node; a worker thread cannot take process-wide flags.
    const { NODE_OPTIONS: _runtimeFlags, ...variables } = jsonObject(at(fn, "environment", "variables")) ?? {};
    this.functions.set(
      functionArn,
      new LocalFunction({
        functionName: refs.resolve(String(fn.function_name)),
        functionArn,
        taskRoot: extractArchive(path.join(this.stackDir, String(fn.filename))),
        handler: String(fn.handler),
        timeoutSeconds: Number(fn.timeout ?? 3),
        memoryMb: Number(fn.memory_size ?? 128),
        environment: {
          ...Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, refs.resolve(String(value))])),
          AWS_REGION: refs.region,
          AWS_DEFAULT_REGION: refs.region,
          AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: this.dynamodbProxy.endpoint,
          AWS_ENDPOINT_URL_SFN: this.callbacks.endpoint,
          AWS_ENDPOINT_URL_SQS: this.queues.endpoint,
          AWS_LAMBDA_LOG_LEVEL: process.env.AWS_LAMBDA_LOG_LEVEL ?? "FATAL",
        },
      }),
    );
  }

  /** The ARN of the function a Task names by ARN (qualified or not) or by name. */
  private resolveFunction(functionName: string): string | undefined {
    const unqualified = functionName.startsWith("arn:") ? functionName.split(":").slice(0, 7).join(":") : functionName.split(":")[0];
    if (this.functions.has(unqualified)) return unqualified;
    return [...this.functions.values()].find((fn) => fn.functionName === unqualified)?.functionArn;
  }

  /**
   * One invocation, as the Lambda service runs it: a planned crash fails it as Lambda.Unknown before the
   * handler runs; otherwise the function runs in one of its execution environments, through the hook.
   */
  private async invokeFunction(functionArn: string, payload: unknown): Promise<unknown> {
    const fn = this.functions.get(functionArn)!;
    const key = this.faultKeys.ofPayload(payload);
    if (this.faults.take("recorderCrash", key)) throw new LambdaUnknownError("injected: the function crashed before it stored anything");
    const running: Running = { fn, requestId: randomUUID() };
    const inFlight = key === undefined ? undefined : (this.running.get(key) ?? new Set<Running>());
    if (key !== undefined) this.running.set(key, inFlight!.add(running));
    try {
      return await this.invokeHook(payload, (event) => fn.invoke(event, running.requestId), fn);
    } finally {
      inFlight?.delete(running);
      if (key !== undefined && inFlight?.size === 0) this.running.delete(key);
    }
  }

  /** A crash after the write (signalled by the DynamoDB proxy): the environments running that message die. */
  private crashInvocations(key: string): void {
    for (const { fn, requestId } of this.running.get(key) ?? []) fn.crash(requestId, "injected: the function crashed after its write");
  }

  /** PutEvents of one entry, as EventBridge answers it; the event when it was accepted. */
  /** The operator APIs the pipeline's own endpoints do not cover: PutEvents, FilterLogEvents, DescribeAlarms, POST /messages. */
  private serveOperatorApis(): void {
    this.aws.serve("AWSEvents.PutEvents", (body) => {
      const entries = (body.Entries ?? []) as Array<Record<string, string>>;
      const results: unknown[] = [];
      for (const entry of entries) {
        const [status, response, event] = this.putEvents({ Entries: [entry] });
        if (status !== 200) return Promise.resolve([status, response]);
        results.push((response as { Entries: unknown[] }).Entries[0]);
        // PutEvents answers once the event is accepted; the rules deliver it afterwards.
        if (event)
          void this.publish(
            event,
            String(entry.EventBusName ?? DEFAULT_BUS)
              .split("/")
              .pop(),
          ).catch(() => undefined);
      }
      return Promise.resolve([
        200,
        { FailedEntryCount: results.filter((r) => (r as { ErrorCode?: string }).ErrorCode).length, Entries: results },
      ]);
    });
    this.aws.serve("AWSEvents.StartReplay", (body) => Promise.resolve(this.startReplay(body)));
    this.aws.serve("AWSEvents.DescribeReplay", (body) => {
      const replay = this.replays.get(String(body.ReplayName));
      if (!replay)
        return Promise.resolve([
          400,
          { __type: "ResourceNotFoundException", message: `Replay ${String(body.ReplayName)} does not exist.` },
        ]);
      return Promise.resolve([
        200,
        {
          ReplayName: body.ReplayName,
          State: replay.state,
          EventSourceArn: replay.archiveArn,
          EventStartTime: replay.startTime / 1000,
          EventEndTime: replay.endTime / 1000,
        },
      ]);
    });
    this.aws.serve("AWSEvents.ListReplays", (body) => {
      const replays = [...this.replays].filter(
        ([name, r]) => name.startsWith(textOf(body.NamePrefix ?? "")) && (!body.State || r.state === body.State),
      );
      return Promise.resolve([
        200,
        { Replays: replays.map(([name, r]) => ({ ReplayName: name, State: r.state, EventSourceArn: r.archiveArn })) },
      ]);
    });
    this.aws.serve("Logs_20140328.FilterLogEvents", (body) => {
      const lines = this.logs.get(String(body.logGroupName));
      if (!lines)
        return Promise.resolve([400, { __type: "ResourceNotFoundException", message: "The specified log group does not exist." }]);
      // A quoted filter pattern matches the text as a phrase; that is the only form the operator commands use.
      const phrase = textOf(body.filterPattern ?? "").replace(/^"|"$/g, "");
      const events = lines.filter((l) => l.timestamp >= Number(body.startTime ?? 0) && l.message.includes(phrase));
      return Promise.resolve([
        200,
        { events: events.map((l, i) => ({ eventId: String(i), logStreamName: "states", timestamp: l.timestamp, message: l.message })) },
      ]);
    });
    this.aws.serve("GraniteServiceVersion20100801.DescribeAlarms", (body) => {
      const prefix = textOf(body.AlarmNamePrefix ?? "");
      const alarms = [...this.alarmStates]
        .filter(([name]) => name.startsWith(prefix))
        .map(([AlarmName, StateValue]) => ({ AlarmName, StateValue }));
      return Promise.resolve([200, { MetricAlarms: alarms, CompositeAlarms: [] }]);
    });
    this.aws.serveRest(async (requestPath, body, headers) => {
      if (!/\/messages$/.test(requestPath)) return [404, { message: "Missing Authentication Token" }];
      const answer = await this.postMessage(
        body,
        String(headers["content-type"] ?? "application/json").split(";")[0],
        Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
      );
      return [answer.status, answer.body];
    });
  }

  /** The source the REST API stamps on its events (the one the rule matches). */
  private get eventSource(): string {
    return this.apiEventSource ?? "";
  }

  private get stateMachineLogGroup(): string | undefined {
    return [...this.logs.keys()][0];
  }

  /** What every alarm name of the stack starts with (`<stack>-`). */
  private get alarmNamePrefix(): string {
    const names = [...this.alarmStates.keys()];
    if (names.length === 0) return "";
    let prefix = names[0];
    for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
    return prefix.slice(0, prefix.lastIndexOf("-") + 1);
  }

  /**
   * What Step Functions writes to the state machine's log group when an execution ends, at its logging level:
   * ALL, the execution's start and end with its data; ERROR and FATAL, only an execution that did not succeed.
   */
  private logExecution(refs: StackReferences, machine: Resource, record: ExecutionRecord): void {
    const logging = jsonObject(machine.logging_configuration);
    const reference = /\$\{aws_cloudwatch_log_group\.([^.}]+)\.arn\}/.exec(stringAt(logging, "log_destination") ?? "");
    if (!logging || !reference) return;
    const group = refs.resolve(String(refs.stack.resource.aws_cloudwatch_log_group?.[reference[1]]?.name));
    const lines = this.logs.get(group) ?? [];
    this.logs.set(group, lines);
    const succeeded = record.status === "SUCCEEDED";
    if (logging.level === "OFF" || (logging.level !== "ALL" && succeeded)) return;
    const data = logging.include_execution_data === true;
    const line = (type: string, details: Record<string, unknown>, timestamp: number) =>
      lines.push({
        timestamp,
        message: JSON.stringify({ type, details, event_timestamp: String(timestamp), execution_arn: record.executionArn }),
      });
    if (logging.level === "ALL") line("ExecutionStarted", data ? { input: record.input } : {}, record.startDate);
    const end = {
      SUCCEEDED: "ExecutionSucceeded",
      FAILED: "ExecutionFailed",
      TIMED_OUT: "ExecutionTimedOut",
      ABORTED: "ExecutionAborted",
      RUNNING: "ExecutionFailed",
    }[record.status];
    line(end, succeeded ? {} : { error: record.error, cause: record.cause }, record.stopDate ?? Date.now());
  }

  private putEvents(request: { Entries: Array<Record<string, string>> }): [number, unknown, { id: string } | undefined] {
    const [entry] = request.Entries;
    if (!entry)
      return [
        400,
        {
          __type: "ValidationException",
          message:
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
        },
        undefined,
      ];
    const bytes = putEventsEntryBytes(entry);
    if (bytes > AWS_LIMITS.putEventsEntryBytes) {
      return [
        400,
        {
          __type: "ValidationException",
          message: `Total size of the entries in the request is over the limit (entry of ${bytes} bytes, at most ${AWS_LIMITS.putEventsEntryBytes}).`,
        },
        undefined,
      ];
    }
    if (this.faults.take("throttlePutEvents", "*")) {
      return [
        200,
        { FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded (injected)" }] },
        undefined,
      ];
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      return [200, { FailedEntryCount: 1, Entries: [{ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }] }, undefined];
    }
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.region,
      resources: [],
      detail,
    };
    return [200, { FailedEntryCount: 0, Entries: [{ EventId: event.id }] }, event];
  }
}

function first(names: Iterable<string>, type: string): string {
  const [name] = names;
  if (name === undefined) throw new Error(`the stack declares no ${type}`);
  return name;
}

/** The REST API method integrated with EventBridge PutEvents, if the stack has one. */
function restMethod(refs: StackReferences): LocalRestMethod | undefined {
  const integration = refs
    .resources("aws_api_gateway_integration")
    .map(([, i]) => i)
    .find((i) => String(i.uri).endsWith(":events:action/PutEvents"));
  if (!integration) return undefined;
  const [model] = refs.resources("aws_api_gateway_model");
  const badBody = refs
    .resources("aws_api_gateway_gateway_response")
    .map(([, r]) => r)
    .find((r) => r.response_type === "BAD_REQUEST_BODY");
  const declaration: RestMethodDeclaration = {
    ...(model ? { modelSchema: JSON.parse(String(model[1].schema)) as unknown } : {}),
    requestTemplate: refs.resolve(String(at(integration, "request_templates", "application/json"))),
    integrationResponses: refs.resources("aws_api_gateway_integration_response").map(([, r]) => {
      const selectionPattern = stringAt(r, "selection_pattern");
      return {
        statusCode: String(r.status_code),
        ...(selectionPattern ? { selectionPattern } : {}),
        template: String(at(r, "response_templates", "application/json")),
      };
    }),
    ...(badBody ? { badRequestBodyTemplate: String(at(badBody, "response_templates", "application/json")) } : {}),
  };
  return new LocalRestMethod(declaration);
}
