import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
import type { RunOptions, StateMachineDefinition } from "aws-local-stepfunctions";
import { createTable, getMessage, LOCAL_AWS, LocalDynamoDB, startDynamoDB, TableDeclaration } from "./dynamodb";
import { matchesPattern } from "./event-pattern";
import { Handler, loadHandlerFromArchive } from "./lambda-archive";
import { onlyResource as only, StackJson } from "./stack-json";
import { TaskCallbackEndpoint, TaskFailedError } from "./task-callbacks";

type JSONValue = Parameters<StateMachine["run"]>[0];
type LocalTaskHandler = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>[string];

/**
 * The whole pipeline, offline, read from a synthesized stack folder (not from the sources): the rule's event
 * pattern and target, the state machine definition, the recorder archive and its environment, the table.
 *
 * publish(event) does what EventBridge and Step Functions would do: match the pattern, start an execution with
 * the whole event as input, run it with aws-local-stepfunctions, and run its callback Task by invoking the real
 * recorder from the archive and waiting for the callback it sends, as the service does for waitForTaskToken.
 */

export interface ExecutionEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: string;
  readonly output?: unknown;
}

export interface ExecutionResult {
  readonly status: "SUCCEEDED" | "FAILED" | "TIMED_OUT";
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly cause: string };
  /** The states entered, in order. */
  readonly states: string[];
  readonly events: ExecutionEvent[];
  /** Input of the state the execution ended in (for a Fail state: the error or answer that led there). */
  readonly finalStateInput?: unknown;
}

export interface PublishResult {
  readonly matched: boolean;
  readonly execution?: ExecutionResult;
}

/** How the Task reaches the recorder; replaceable to simulate a function that dies before calling back. */
export type RecorderInvoker = (payload: unknown, defaultInvoke: Handler) => Promise<unknown>;

export interface LocalPipelineOptions {
  /** A synthesized stack folder: cdktf.out/stacks/<stack>. */
  readonly stackDir: string;
  readonly invokeRecorder?: RecorderInvoker;
}

const CALLBACK_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken";
const LOCAL_ACCOUNT = "000000000000";

export class LocalPipeline {
  private constructor(
    private readonly dynamodb: LocalDynamoDB,
    private readonly callbacks: TaskCallbackEndpoint,
    private readonly recorder: Handler,
    private readonly invokeRecorder: RecorderInvoker,
    private readonly eventPattern: unknown,
    private readonly machine: StateMachine,
    private readonly callbackStates: string[],
    private readonly apiIntegration: Record<string, string> | undefined,
    private readonly region: string,
    public readonly busName: string,
    public readonly tableName: string,
  ) {}

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const stack = JSON.parse(readFileSync(path.join(options.stackDir, "cdk.tf.json"), "utf8")) as StackJson;
    const rule = only(stack, "aws_cloudwatch_event_rule");
    const target = only(stack, "aws_cloudwatch_event_target");
    const machine = only(stack, "aws_sfn_state_machine");
    const fn = only(stack, "aws_lambda_function");
    const table = only(stack, "aws_dynamodb_table") as unknown as TableDeclaration;
    const bus = only(stack, "aws_cloudwatch_event_bus");

    for (const field of ["input", "input_path", "input_transformer"]) {
      if (field in target) throw new Error(`the rule target sets ${field}; the local pipeline only passes the whole event`);
    }
    if (!/^\$\{aws_sfn_state_machine\.[^.]+\.arn\}$/.test(String(target.arn))) {
      throw new Error(`the rule target is ${target.arn}, not the state machine`);
    }

    const region = (stack as unknown as { provider: { aws: Array<{ region: string }> } }).provider.aws[0].region;
    const functionArn = `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${fn.function_name}`;
    const definition = JSON.parse(resolveReferences(machine.definition, stack, { aws_lambda_function: functionArn })) as Record<string, any>;
    const callbackStates = Object.entries(definition.States as Record<string, any>)
      .filter(([, state]) => state.Type === "Task")
      .map(([name, state]) => {
        if (state.Resource !== CALLBACK_RESOURCE || state.Parameters?.FunctionName !== functionArn) {
          throw new Error(`Task state "${name}" calls ${state.Resource} ${state.Parameters?.FunctionName ?? ""}; only the recorder callback runs locally`);
        }
        return name;
      });

    const dynamodb = await startDynamoDB();
    const callbacks = await TaskCallbackEndpoint.start();
    await createTable(dynamodb.client, table);
    // NODE_OPTIONS configures the Lambda runtime's node; here it would only leak into processes spawned later.
    const { NODE_OPTIONS: _runtimeFlags, ...variables } = (fn.environment?.variables ?? {}) as Record<string, string>;
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveReferences(v, stack, {})]));
    const recorder = loadHandlerFromArchive(path.join(options.stackDir, fn.filename), fn.handler, {
      ...environment,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SFN: callbacks.endpoint,
      AWS_LAMBDA_LOG_LEVEL: process.env.AWS_LAMBDA_LOG_LEVEL ?? "FATAL",
      // Lambda runs Node.js 22; the SDK's warning about this machine's Node.js 20 says nothing about the function.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    return new LocalPipeline(
      dynamodb, callbacks, recorder, options.invokeRecorder ?? ((payload, invoke) => invoke(payload)),
      // Validated once here (asl-validator with ARN and path checks), then reused by every execution.
      JSON.parse(rule.event_pattern),
      new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } }),
      callbackStates,
      apiIntegrationParameters(stack),
      region, String(bus.name), String(table.name),
    );
  }

  /** Puts one event on the bus. Returns whether the rule matched and, if it did, how the execution ended. */
  async publish(event: unknown, busName = this.busName): Promise<PublishResult> {
    if (busName !== this.busName || !matchesPattern(this.eventPattern, event)) return { matched: false };
    return { matched: true, execution: await this.execute(event) };
  }

  /**
   * What `POST /messages` does: API Gateway's PutEvents integration, as the stack declares its request
   * parameters, turns the body into an event on the bus. A body that is not a JSON object is refused, as
   * EventBridge refuses such a Detail.
   */
  async postMessage(body: string): Promise<PublishResult & { accepted: boolean; eventId?: string }> {
    if (!this.apiIntegration) throw new Error("the stack has no PutEvents API integration");
    const parameters = this.apiIntegration;
    let detail: unknown;
    try {
      detail = JSON.parse(parameters.Detail === "$request.body" ? body : parameters.Detail);
    } catch {
      return { accepted: false, matched: false };
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) return { accepted: false, matched: false };
    const eventId = randomUUID();
    const event = {
      version: "0", id: eventId, "detail-type": parameters.DetailType, source: parameters.Source, account: LOCAL_ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.region, resources: [], detail,
    };
    return { accepted: true, eventId, ...(await this.publish(event, parameters.EventBusName)) };
  }

  async storedItem(messageId: string) {
    return getMessage(this.dynamodb.client, this.tableName, messageId);
  }

  get dynamoDBClient() {
    return this.dynamodb.client;
  }

  /** Every SendTaskSuccess/SendTaskFailure the recorder sent. */
  get callbacksReceived() {
    return this.callbacks.received;
  }

  async close(): Promise<void> {
    await this.dynamodb.close();
    await this.callbacks.close();
  }

  private async execute(input: unknown): Promise<ExecutionResult> {
    const token = `local-task-token-${randomUUID()}`;
    const callTask: LocalTaskHandler = async (input) => {
      const parameters = (input ?? {}) as { Payload?: unknown };
      const outcome = this.callbacks.waitFor(token);
      try {
        await this.invokeRecorder(parameters.Payload, this.recorder);
      } catch (error) {
        // A function error fails the task with the function's error type, as Lambda reports it.
        this.callbacks.expire(token);
        const failure = error instanceof Error ? error : new Error(String(error));
        throw new TaskFailedError(failure.name, JSON.stringify({ errorType: failure.name, errorMessage: failure.message }));
      }
      return (await outcome) as JSONValue;
    };
    const run = this.machine.run(input as JSONValue, {
      context: { Task: { Token: token } },
      overrides: { taskResourceLocalHandlers: Object.fromEntries(this.callbackStates.map((name) => [name, callTask])) },
    });
    const events: ExecutionEvent[] = [];
    const collecting = (async () => {
      for await (const event of run.eventLogs) events.push(event as ExecutionEvent);
    })();
    let result: Omit<ExecutionResult, "states" | "events" | "finalStateInput">;
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
      this.callbacks.expire(token);
    }
    await collecting;
    const entered = events.filter((e) => e.type === "StateEntered");
    return {
      ...result,
      states: entered.map((e) => e.state!.name),
      events,
      finalStateInput: entered.at(-1)?.state?.input,
    };
  }
}

/** The PutEvents integration's request parameters, with the bus reference resolved; undefined without an API. */
function apiIntegrationParameters(stack: StackJson): Record<string, string> | undefined {
  const integrations = Object.values(stack.resource.aws_apigatewayv2_integration ?? {});
  const putEvents = integrations.find((i) => i.integration_subtype === "EventBridge-PutEvents");
  if (!putEvents) return undefined;
  const parameters = putEvents.request_parameters as Record<string, string>;
  return Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, resolveReferences(value, stack, {})]));
}

/**
 * Replaces Terraform references that the local run can know: `${aws_lambda_function.X.arn}` by the given ARN,
 * and a `name` of a resource declared with a literal name by that name. Anything else is refused.
 */
function resolveReferences(text: string, stack: StackJson, arns: Record<string, string>): string {
  return text.replace(/\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (whole, type: string, name: string, attribute: string) => {
    if (attribute === "arn" && arns[type]) return arns[type];
    const declared = stack.resource[type]?.[name];
    if (attribute === "name" && declared && typeof declared.name === "string" && !declared.name.includes("${")) return declared.name;
    throw new Error(`cannot resolve ${whole} locally`);
  });
}
