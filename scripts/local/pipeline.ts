import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
import type { RunOptions, StateMachineDefinition } from "aws-local-stepfunctions";
import { LocalRestMethod, RestMethodDeclaration } from "./api-gateway";
import { createTable, getMessage, LOCAL_AWS, LocalDynamoDB, startDynamoDB, TableDeclaration } from "./dynamodb";
import { matchesPattern } from "./event-pattern";
import { DynamoDBFaultProxy, FaultPlan, LambdaUnknownError } from "./faults";
import { Handler, loadHandlerFromArchive } from "./lambda-archive";
import { LocalQueues } from "./queues";
import { onlyResource as only, Resource, StackJson } from "./stack-json";
import { TaskCallbackEndpoint, TaskFailedError } from "./task-callbacks";

type JSONValue = Parameters<StateMachine["run"]>[0];
type LocalTaskHandler = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>[string];

/**
 * The whole pipeline, offline, read from a synthesized stack folder (not from the sources): every rule with its
 * bus, pattern and targets (the state machine, queues), the state machine definition, the recorder archive and
 * its environment, the table, the queues, and the REST API's model and mapping templates.
 *
 * publish(event) does what EventBridge and Step Functions would do: match every rule of the bus, deliver to its
 * targets (starting an execution, or dead-lettering after the target's retries), run the execution with
 * aws-local-stepfunctions, and run its callback Task by invoking the real recorder from the archive and waiting
 * for the callback it sends, with a new token per attempt as the service does. An execution that does not
 * succeed puts a "Step Functions Execution Status Change" event on the default bus, where the capture rule
 * sends it to its queue. The local Step Functions and SQS endpoints serve the real redrive code.
 */

export interface ExecutionEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: string;
  readonly output?: unknown;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ExecutionResult {
  readonly executionArn: string;
  readonly name: string;
  readonly status: Exclude<ExecutionStatus, "RUNNING">;
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly cause: string };
  /** The states entered, in order. */
  readonly states: string[];
  readonly events: ExecutionEvent[];
  /** Input of the state the execution ended in (for a Fail state: the error or answer that led there). */
  readonly finalStateInput?: unknown;
  /** Invocations of the recorder, retries included. */
  readonly attempts: number;
}

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

/** How the Task reaches the recorder; replaceable to simulate a function that returns without calling back. */
export type RecorderInvoker = (payload: unknown, defaultInvoke: Handler) => Promise<unknown>;

export interface LocalPipelineOptions {
  /** A synthesized stack folder: cdktf.out/stacks/<stack>. */
  readonly stackDir: string;
  readonly invokeRecorder?: RecorderInvoker;
  /** Faults to inject at the endpoints. @default none */
  readonly faults?: FaultPlan;
  /**
   * Milliseconds between retries of a Task instead of the definition's IntervalSeconds and backoff, so fault
   * scenarios run in milliseconds. @default the definition's own waits
   */
  readonly retryIntervalMs?: number;
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  status: ExecutionStatus;
  stopDate?: number;
  error?: string;
  cause?: string;
  readonly done: Promise<ExecutionResult>;
}

interface LocalTarget {
  readonly kind: "state-machine" | "queue";
  readonly arn: string;
  /** Attempts after the first before dead-lettering. */
  readonly retryAttempts: number;
  readonly deadLetterQueue?: string;
}

interface LocalRule {
  readonly arn: string;
  readonly busName: string;
  readonly pattern: unknown;
  readonly targets: LocalTarget[];
}

const CALLBACK_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken";
export const LOCAL_ACCOUNT = "000000000000";
const DEFAULT_BUS = "default";
/** EventBridge's default retry policy of a target: 185 attempts. */
const DEFAULT_TARGET_RETRIES = 185;
/** The placeholder the context gives as task token; each attempt replaces it with its own token. */
const TOKEN_PLACEHOLDER = "local-task-token-placeholder";

export class LocalPipeline {
  readonly faults: FaultPlan;
  readonly queues = new LocalQueues();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly crashListeners = new Set<(messageId: string) => void>();
  private readonly retryIntervalOverrides?: Record<string, number>;

  private constructor(
    private readonly dynamodb: LocalDynamoDB,
    private readonly dynamodbProxy: DynamoDBFaultProxy,
    private readonly callbacks: TaskCallbackEndpoint,
    private readonly recorder: Handler,
    private readonly invokeRecorder: RecorderInvoker,
    private readonly rules: LocalRule[],
    private readonly machine: StateMachine,
    private readonly callbackStates: string[],
    private readonly api: { method: LocalRestMethod } | undefined,
    private readonly region: string,
    faults: FaultPlan,
    retryIntervalMs: number | undefined,
    public readonly busName: string,
    public readonly tableName: string,
    public readonly stateMachineArn: string,
    public readonly queueNames: { readonly deadLetter?: string; readonly failedExecutions?: string },
  ) {
    this.faults = faults;
    if (retryIntervalMs !== undefined) this.retryIntervalOverrides = Object.fromEntries(callbackStates.map((name) => [name, retryIntervalMs]));
    this.dynamodbProxy.onCrash = (messageId) => this.crashListeners.forEach((listener) => listener(messageId));
    this.callbacks.serve("StartExecution", async (body) => this.startExecution(body));
    this.callbacks.serve("DescribeExecution", async (body) => this.describeExecution(body));
    this.callbacks.serve("ListExecutions", async (body) => this.listExecutions(body));
  }

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const stack = readStack(options.stackDir);
    const machine = only(stack, "aws_sfn_state_machine");
    const fn = only(stack, "aws_lambda_function");
    const table = only(stack, "aws_dynamodb_table") as unknown as TableDeclaration;
    const region = (stack as unknown as { provider: { aws: Array<{ region: string }> } }).provider.aws[0].region;
    const arns = localArns(stack, region);
    const resolve = (text: string) => resolveReferences(text, stack, arns);

    const rules = Object.entries(stack.resource.aws_cloudwatch_event_rule ?? {}).map(([name, rule]) => ({
      arn: arns[`aws_cloudwatch_event_rule.${name}`],
      busName: rule.event_bus_name ? resolve(String(rule.event_bus_name)) : DEFAULT_BUS,
      pattern: JSON.parse(resolve(String(rule.event_pattern))),
      targets: Object.values(stack.resource.aws_cloudwatch_event_target ?? {})
        .filter((target) => target.rule === `\${aws_cloudwatch_event_rule.${name}.name}`)
        .map((target) => localTarget(target, resolve)),
    }));

    const functionArn = arns[`aws_lambda_function.${Object.keys(stack.resource.aws_lambda_function)[0]}`];
    const definition = JSON.parse(resolve(machine.definition)) as Record<string, any>;
    const callbackStates = Object.entries(definition.States as Record<string, any>)
      .filter(([, state]) => state.Type === "Task")
      .map(([name, state]) => {
        if (state.Resource !== CALLBACK_RESOURCE || state.Parameters?.FunctionName !== functionArn) {
          throw new Error(`Task state "${name}" calls ${state.Resource} ${state.Parameters?.FunctionName ?? ""}; only the recorder callback runs locally`);
        }
        return name;
      });

    const faults = options.faults ?? new FaultPlan();
    const dynamodb = await startDynamoDB();
    const dynamodbProxy = await DynamoDBFaultProxy.start(dynamodb.endpoint, faults);
    const callbacks = await TaskCallbackEndpoint.start(faults);
    await createTable(dynamodb.client, table);
    // NODE_OPTIONS configures the Lambda runtime's node; here it would only leak into processes spawned later.
    const { NODE_OPTIONS: _runtimeFlags, ...variables } = (fn.environment?.variables ?? {}) as Record<string, string>;
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)]));
    const recorder = loadHandlerFromArchive(path.join(options.stackDir, fn.filename), fn.handler, {
      ...environment,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbProxy.endpoint,
      AWS_ENDPOINT_URL_SFN: callbacks.endpoint,
      AWS_LAMBDA_LOG_LEVEL: process.env.AWS_LAMBDA_LOG_LEVEL ?? "FATAL",
      // Lambda runs Node.js 22; the SDK's warning about this machine's Node.js 20 says nothing about the function.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });

    const pipeline = new LocalPipeline(
      dynamodb, dynamodbProxy, callbacks, recorder, options.invokeRecorder ?? ((payload, invoke) => invoke(payload)),
      rules,
      // Validated once here (asl-validator with ARN and path checks), then reused by every execution.
      new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } }),
      callbackStates,
      restMethod(stack, resolve),
      region, faults, options.retryIntervalMs,
      resolve(`\${aws_cloudwatch_event_bus.${Object.keys(stack.resource.aws_cloudwatch_event_bus ?? {})[0]}.name}`),
      String(table.name),
      arns[`aws_sfn_state_machine.${Object.keys(stack.resource.aws_sfn_state_machine)[0]}`],
      queueRoles(rules),
    );
    for (const queue of Object.values(stack.resource.aws_sqs_queue ?? {})) pipeline.queues.declare(String(queue.name));
    await pipeline.queues.start();
    return pipeline;
  }

  /**
   * Puts one event on a bus (the pipeline's own by default). Every matching rule delivers to its targets. The
   * result describes the state-machine target: whether a rule matched, and how its execution ended.
   */
  async publish(event: unknown, busName = this.busName): Promise<PublishResult> {
    let result: PublishResult = { matched: false };
    for (const rule of this.rules.filter((r) => r.busName === busName && matchesPattern(r.pattern, event))) {
      for (const target of rule.targets) {
        if (target.kind === "queue") {
          this.queues.send(queueNameOf(target.arn), JSON.stringify(event));
          continue;
        }
        result = { matched: true, ...(await this.deliverToStateMachine(rule, target, event)) };
      }
    }
    return result;
  }

  /** What `POST /messages` does: the REST API's validation and mapping templates around PutEvents on the bus. */
  async postMessage(body: string, contentType = "application/json"): Promise<PostResult> {
    if (!this.api) throw new Error("the stack has no REST API integration with PutEvents");
    let published: PublishResult & { eventId?: string } = { matched: false };
    const answer = await this.api.method.call(body, async (request) => {
      const [status, response, event] = this.putEvents(request as { Entries: Array<Record<string, string>> });
      if (event) published = { ...(await this.publish(event, String((request as { Entries: Array<{ EventBusName: string }> }).Entries[0].EventBusName))), eventId: event.id };
      return [status, response];
    }, contentType);
    return { ...published, status: answer.status, body: answer.body };
  }

  async storedItem(messageId: string) {
    return getMessage(this.dynamodb.client, this.tableName, messageId);
  }

  get dynamoDBClient() {
    return this.dynamodb.client;
  }

  /** Endpoints for SDK clients (redrive): Step Functions, SQS and DynamoDB of this pipeline. */
  get endpoints() {
    return { sfn: this.callbacks.endpoint, sqs: this.queues.endpoint, dynamodb: this.dynamodb.endpoint };
  }

  /** Every SendTaskSuccess/SendTaskFailure the recorder sent. */
  get callbacksReceived() {
    return this.callbacks.received;
  }

  /** Waits for every execution started so far (redrive starts them without waiting). */
  async settled(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done.catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.settled();
    await this.dynamodbProxy.close();
    await this.dynamodb.close();
    await this.callbacks.close();
    await this.queues.close();
  }

  private async deliverToStateMachine(rule: LocalRule, target: LocalTarget, event: unknown): Promise<Omit<PublishResult, "matched">> {
    const eventId = (event as { id?: unknown }).id;
    const id = typeof eventId === "string" ? eventId : undefined;
    for (let attempt = 0; attempt <= target.retryAttempts; attempt++) {
      if (!this.faults.take("failStartExecution", id)) {
        return { execution: await this.startRecord(JSON.stringify(event), randomUUID()).done };
      }
    }
    if (!target.deadLetterQueue) return {};
    // What EventBridge writes to a target's DLQ: the event, and attributes naming the rule, target and error.
    this.queues.send(target.deadLetterQueue, JSON.stringify(event), {
      RULE_ARN: rule.arn, TARGET_ARN: target.arn, ERROR_CODE: "SDK_CLIENT_ERROR", ERROR_MESSAGE: "Rate exceeded (injected)",
    });
    return { deadLettered: true };
  }

  /** PutEvents of one entry, as EventBridge answers it; the event when it was accepted. */
  private putEvents(request: { Entries: Array<Record<string, string>> }): [number, unknown, { id: string } | undefined] {
    const [entry] = request.Entries;
    if (this.faults.take("throttlePutEvents", "*")) {
      return [200, { FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded (injected)" }] }, undefined];
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
      version: "0", id: randomUUID(), "detail-type": entry.DetailType, source: entry.Source, account: LOCAL_ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.region, resources: [], detail,
    };
    return [200, { FailedEntryCount: 0, Entries: [{ EventId: event.id }] }, event];
  }

  private startRecord(input: string, name: string): ExecutionRecord {
    const executionArn = `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const record: ExecutionRecord = {
      executionArn, name, input, startDate: Date.now(), status: "RUNNING",
      done: Promise.resolve().then(async () => {
        const result = await this.execute(JSON.parse(input), executionArn, name);
        Object.assign(record, { status: result.status, stopDate: Date.now(), error: result.error?.name, cause: result.error?.cause });
        if (result.status !== "SUCCEEDED") await this.publish(this.statusChangeEvent(record), DEFAULT_BUS);
        return result;
      }),
    };
    this.executions.set(name, record);
    return record;
  }

  /** What Step Functions puts on the default bus when an execution ends unsuccessfully. */
  private statusChangeEvent(record: ExecutionRecord) {
    return {
      version: "0", id: randomUUID(), "detail-type": "Step Functions Execution Status Change", source: "aws.states",
      account: LOCAL_ACCOUNT, time: new Date(record.stopDate!).toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn, stateMachineArn: this.stateMachineArn, name: record.name, status: record.status,
        startDate: record.startDate, stopDate: record.stopDate, input: record.input, inputDetails: { included: true },
        output: null, outputDetails: null, error: record.error ?? null, cause: record.cause ?? null,
      },
    };
  }

  private async startExecution(body: Record<string, any>): Promise<[number, unknown]> {
    if (body.stateMachineArn !== this.stateMachineArn) return [400, { __type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${body.stateMachineArn}'` }];
    const name = String(body.name ?? randomUUID());
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) return [400, { __type: "InvalidName", message: `Invalid Name: '${name}'` }];
    const input = String(body.input ?? "{}");
    const existing = this.executions.get(name);
    if (existing) {
      // STANDARD: the same name and input as a running execution returns it; anything else is refused.
      if (existing.status === "RUNNING" && existing.input === input) return [200, { executionArn: existing.executionArn, startDate: existing.startDate / 1000 }];
      return [400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${existing.executionArn}'` }];
    }
    const record = this.startRecord(input, name);
    record.done.catch(() => undefined);
    return [200, { executionArn: record.executionArn, startDate: record.startDate / 1000 }];
  }

  private async describeExecution(body: Record<string, any>): Promise<[number, unknown]> {
    const record = [...this.executions.values()].find((e) => e.executionArn === body.executionArn);
    if (!record) return [400, { __type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${body.executionArn}'` }];
    return [200, executionDescription(record, this.stateMachineArn)];
  }

  private async listExecutions(body: Record<string, any>): Promise<[number, unknown]> {
    if (body.stateMachineArn !== this.stateMachineArn) return [400, { __type: "StateMachineDoesNotExist", message: "State Machine Does Not Exist" }];
    const all = [...this.executions.values()]
      .filter((e) => !body.statusFilter || e.status === body.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const from = Number(body.nextToken ?? 0);
    const size = Number(body.maxResults || 100);
    const page = all.slice(from, from + size);
    return [200, {
      executions: page.map((e) => ({ executionArn: e.executionArn, stateMachineArn: this.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate / 1000, ...(e.stopDate ? { stopDate: e.stopDate / 1000 } : {}) })),
      ...(from + size < all.length ? { nextToken: String(from + size) } : {}),
    }];
  }

  private async execute(input: unknown, executionArn: string, name: string): Promise<ExecutionResult> {
    const tokens: string[] = [];
    let attempts = 0;
    const callTask: LocalTaskHandler = async (taskInput) => {
      attempts++;
      // Each attempt of a task gets its own token; the token of a failed attempt can no longer be answered.
      const token = `local-task-token-${randomUUID()}`;
      tokens.push(token);
      const payload = replaceString((taskInput as { Payload?: unknown } | null)?.Payload, TOKEN_PLACEHOLDER, token);
      const outcome = this.callbacks.waitFor(token);
      // Answered (or failed) while the invocation still runs: handled below, never an unhandled rejection.
      outcome.catch(() => undefined);
      try {
        await this.invoke(payload);
      } catch (error) {
        // A function error fails the task with the function's error type, as Lambda reports it.
        this.callbacks.expire(token);
        const failure = error instanceof Error ? error : new Error(String(error));
        throw new TaskFailedError(failure.name, JSON.stringify({ errorType: failure.name, errorMessage: failure.message }));
      }
      return (await outcome) as JSONValue;
    };
    const run = this.machine.run(input as JSONValue, {
      context: { Task: { Token: TOKEN_PLACEHOLDER }, Execution: { Id: executionArn, Name: name } },
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(this.callbackStates.map((state) => [state, callTask])),
        ...(this.retryIntervalOverrides ? { retryIntervalOverrides: this.retryIntervalOverrides } : {}),
      },
    });
    const events: ExecutionEvent[] = [];
    const collecting = (async () => {
      for await (const event of run.eventLogs) events.push(event as ExecutionEvent);
    })();
    let result: Pick<ExecutionResult, "status" | "output" | "error">;
    try {
      result = { status: "SUCCEEDED", output: await run.result };
    } catch (error) {
      if (error instanceof ExecutionTimeoutError) {
        result = { status: "TIMED_OUT", error: { name: "States.Timeout", cause: "the execution exceeded its TimeoutSeconds" } };
      } else if (error instanceof ExecutionError) {
        const cause = error.cause as Error & { cause?: string };
        result = { status: "FAILED", error: { name: cause.name, cause: String(cause.cause ?? cause.message) } };
      } else {
        throw error;
      }
    } finally {
      tokens.forEach((token) => this.callbacks.expire(token));
    }
    await collecting;
    const entered = events.filter((e) => e.type === "StateEntered");
    return { ...result, executionArn, name, states: entered.map((e) => e.state!.name), events, finalStateInput: entered.at(-1)?.state?.input, attempts };
  }

  /**
   * One invocation, as the Lambda service runs it: a planned crash fails it as Lambda.Unknown before the
   * handler runs; a crash after the write (signalled by the DynamoDB proxy) fails it as Lambda.Unknown while
   * the handler is still running, whose later work is then lost, as in a dead execution environment.
   */
  private invoke(payload: unknown): Promise<unknown> {
    const messageId = recordMessageId(payload);
    if (this.faults.take("recorderCrash", messageId)) {
      return Promise.reject(new LambdaUnknownError("injected: the function crashed before it stored anything"));
    }
    return new Promise((resolve, reject) => {
      const crashed = (id: string) => {
        if (id === messageId) reject(new LambdaUnknownError("injected: the function crashed after its write"));
      };
      this.crashListeners.add(crashed);
      this.invokeRecorder(payload, this.recorder).then(resolve, reject).finally(() => this.crashListeners.delete(crashed));
    });
  }
}

function readStack(stackDir: string): StackJson {
  const file = path.join(stackDir, "cdk.tf.json");
  const stack = JSON.parse(readFileSync(file, "utf8")) as StackJson;
  for (const type of ["aws_sfn_state_machine", "aws_lambda_function", "aws_dynamodb_table"]) {
    if (!stack.resource?.[type]) throw new Error(`${file} has no ${type}: not a message recorder pipeline stack`);
  }
  return stack;
}

/** ARNs of the resources the local run knows, by `type.name`, in the local account. */
function localArns(stack: StackJson, region: string): Record<string, string> {
  const arns: Record<string, string> = {};
  const named = (type: string, arn: (name: string) => string, nameField = "name") => {
    for (const [id, resource] of Object.entries(stack.resource[type] ?? {})) arns[`${type}.${id}`] = arn(String(resource[nameField]));
  };
  named("aws_lambda_function", (n) => `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${n}`, "function_name");
  named("aws_sfn_state_machine", (n) => `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${n}`);
  named("aws_sqs_queue", (n) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${n}`);
  named("aws_cloudwatch_event_rule", (n) => `arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${n}`);
  return arns;
}

function localTarget(target: Resource, resolve: (text: string) => string): LocalTarget {
  for (const field of ["input", "input_path", "input_transformer"]) {
    if (field in target) throw new Error(`a rule target sets ${field}; the local pipeline only passes the whole event`);
  }
  const arn = resolve(String(target.arn));
  const kind = arn.includes(":states:") ? "state-machine" : arn.includes(":sqs:") ? "queue" : undefined;
  if (!kind) throw new Error(`a rule target is ${target.arn}; only state machines and queues run locally`);
  const dlq = target.dead_letter_config?.arn ? queueNameOf(resolve(String(target.dead_letter_config.arn))) : undefined;
  return { kind, arn, retryAttempts: target.retry_policy?.maximum_retry_attempts ?? DEFAULT_TARGET_RETRIES, ...(dlq ? { deadLetterQueue: dlq } : {}) };
}

/** Which queue is the DLQ of the state-machine target and which receives the default bus's status changes. */
function queueRoles(rules: LocalRule[]): { deadLetter?: string; failedExecutions?: string } {
  const deadLetter = rules.flatMap((r) => r.targets).find((t) => t.kind === "state-machine" && t.deadLetterQueue)?.deadLetterQueue;
  const capture = rules.find((r) => r.busName === DEFAULT_BUS)?.targets.find((t) => t.kind === "queue");
  return { ...(deadLetter ? { deadLetter } : {}), ...(capture ? { failedExecutions: queueNameOf(capture.arn) } : {}) };
}

function queueNameOf(arn: string): string {
  return arn.split(":").pop()!;
}

function restMethod(stack: StackJson, resolve: (text: string) => string): { method: LocalRestMethod } | undefined {
  const integration = Object.values(stack.resource.aws_api_gateway_integration ?? {}).find((i) => String(i.uri).endsWith(":events:action/PutEvents"));
  if (!integration) return undefined;
  const model = Object.values(stack.resource.aws_api_gateway_model ?? {})[0];
  const badBody = Object.values(stack.resource.aws_api_gateway_gateway_response ?? {}).find((r) => r.response_type === "BAD_REQUEST_BODY");
  const declaration: RestMethodDeclaration = {
    ...(model ? { modelSchema: JSON.parse(String(model.schema)) } : {}),
    requestTemplate: resolve(String(integration.request_templates["application/json"])),
    integrationResponses: Object.values(stack.resource.aws_api_gateway_integration_response ?? {}).map((r) => ({
      statusCode: String(r.status_code),
      ...(r.selection_pattern ? { selectionPattern: String(r.selection_pattern) } : {}),
      template: String(r.response_templates["application/json"]),
    })),
    ...(badBody ? { badRequestBodyTemplate: String(badBody.response_templates["application/json"]) } : {}),
  };
  return { method: new LocalRestMethod(declaration) };
}

function executionDescription(record: ExecutionRecord, stateMachineArn: string) {
  return {
    executionArn: record.executionArn, stateMachineArn, name: record.name, status: record.status,
    startDate: record.startDate / 1000, ...(record.stopDate ? { stopDate: record.stopDate / 1000 } : {}),
    input: record.input, inputDetails: { included: true },
    ...(record.error ? { error: record.error } : {}), ...(record.cause ? { cause: record.cause } : {}),
  };
}

function recordMessageId(payload: unknown): string | undefined {
  const id = (payload as { Record?: { messageId?: unknown } } | null)?.Record?.messageId;
  return typeof id === "string" ? id : undefined;
}

function replaceString(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => replaceString(item, from, to));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceString(item, from, to)]));
  }
  return value;
}

/**
 * Replaces Terraform references that the local run can know: an `arn` of a resource it gives a local ARN,
 * and a `name` of a resource declared with a literal name. Anything else is refused.
 */
function resolveReferences(text: string, stack: StackJson, arns: Record<string, string>): string {
  return text.replace(/\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (whole, type: string, name: string, attribute: string) => {
    if (attribute === "arn" && arns[`${type}.${name}`]) return arns[`${type}.${name}`];
    const declared = stack.resource[type]?.[name];
    if (attribute === "name" && declared && typeof declared.name === "string" && !declared.name.includes("${")) return declared.name;
    throw new Error(`cannot resolve ${whole} locally`);
  });
}
