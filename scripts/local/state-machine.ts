import { randomUUID } from "node:crypto";
import { AWS_LIMITS, DataLimitExceeded, executionNameProblem, putEventsEntryBytes, utf8Bytes } from "./aws-limits";
import { ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
import type { RunOptions, StateMachineDefinition } from "aws-local-stepfunctions";
import { TaskCallbackEndpoint, TaskFailedError } from "./task-callbacks";
import { WorkflowModel, WorkflowType } from "../../stacks/workflow-model";
import { JsonObject, textOf } from "../json-value";

/**
 * One Step Functions state machine, offline: its definition runs in aws-local-stepfunctions, and each of its Task
 * states invokes a Lambda function through the optimized integration, either request-response
 * (`arn:aws:states:::lambda:invoke`: the task's result is Lambda's Invoke answer with the function's return value as
 * `Payload`) or callback (`arn:aws:states:::lambda:invoke.waitForTaskToken`: the task waits for SendTaskSuccess or
 * SendTaskFailure on the local endpoint, with a new token per attempt as the service does). A function error fails
 * the task with the function's error name (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html).
 * It keeps its executions, and answers StartExecution, DescribeExecution and ListExecutions as the service does.
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
  /** Function invocations of the execution, retries included. */
  readonly attempts: number;
}

export interface ExecutionRecord {
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

/** Invokes a function of the stack by its ARN: its return value, or a thrown error named as Lambda names it. */
export type FunctionInvoke = (functionArn: string, payload: unknown) => Promise<unknown>;

export interface LocalStateMachineProps {
  readonly stateMachineArn: string;
  /** The definition, every reference already resolved. */
  readonly definition: StateMachineDefinition;
  readonly callbacks: TaskCallbackEndpoint;
  /** The ARN of the stack's function a Task's FunctionName names (ARN, qualified ARN or name); undefined: none. */
  readonly resolveFunction: (functionName: string) => string | undefined;
  readonly invoke: FunctionInvoke;
  /** STANDARD or EXPRESS: what the service answers for its executions differs. @default "STANDARD" */
  readonly type?: WorkflowType;
  /** Sends a message to a queue of the stack, for `arn:aws:states:::sqs:sendMessage` tasks. @default none: such tasks are refused */
  readonly sendMessage?: (queueUrl: string, body: string) => Promise<string>;
  /** Milliseconds between retries of every Task instead of the definition's waits. @default the definition's */
  readonly retryIntervalMs?: number;
  /** Called when an execution ends, before its `done` resolves. */
  readonly onEnd?: (record: ExecutionRecord) => Promise<void>;
}

export const CALLBACK_RESOURCE = "arn:aws:states:::lambda:invoke.waitForTaskToken";
export const REQUEST_RESPONSE_RESOURCE = "arn:aws:states:::lambda:invoke";
export const SQS_SEND_RESOURCE = "arn:aws:states:::sqs:sendMessage";
/** The placeholder the context gives as task token; each attempt replaces it with its own token. */
const TOKEN_PLACEHOLDER = "local-task-token-placeholder";

type JSONValue = Parameters<StateMachine["run"]>[0];
type LocalTaskHandler = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>[string];

export class LocalStateMachine {
  readonly stateMachineArn: string;
  readonly name: string;
  private readonly machine: StateMachine;
  private readonly tasks: Map<string, "callback" | "request-response" | "sqs">;
  private readonly executions = new Map<string, ExecutionRecord>();

  constructor(private readonly props: LocalStateMachineProps) {
    this.stateMachineArn = props.stateMachineArn;
    this.name = props.stateMachineArn.split(":").pop()!;
    // The same model of the definition the constructs grant and validate from, nested states included.
    this.tasks = new Map(
      WorkflowModel.of(props.definition)
        .tasks.map((task) => [task.name, { Resource: task.resource, Parameters: task.parameters }] as const)
        .map(([name, state]) => {
          const kind =
            state.Resource === CALLBACK_RESOURCE
              ? "callback"
              : state.Resource === REQUEST_RESPONSE_RESOURCE
                ? "request-response"
                : state.Resource === SQS_SEND_RESOURCE && props.sendMessage
                  ? "sqs"
                  : undefined;
          if (!kind)
            throw new Error(
              `${this.name}: Task state "${name}" calls ${state.Resource}; only ${REQUEST_RESPONSE_RESOURCE}, ${CALLBACK_RESOURCE} and ${SQS_SEND_RESOURCE} run locally`,
            );
          if (kind === "sqs") return [name, kind] as const;
          const functionName = state.Parameters?.FunctionName;
          if (typeof functionName === "string" && !props.resolveFunction(functionName)) {
            throw new Error(`${this.name}: Task state "${name}" invokes ${functionName}, which is not a function of the stack`);
          }
          return [name, kind] as const;
        }),
    );
    // Validated once here (asl-validator with ARN and path checks), then reused by every execution.
    this.machine = new StateMachine(props.definition, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  /** Every execution started so far, by name. */
  get all(): readonly ExecutionRecord[] {
    return [...this.executions.values()];
  }

  /**
   * Starts an execution; the name must be new (see startExecution for the service's rules). Throws
   * InputTooLarge for an input over Step Functions' 256 KiB, which StartExecution refuses.
   */
  start(input: string, name: string = randomUUID()): ExecutionRecord {
    const bytes = utf8Bytes(input);
    if (bytes > AWS_LIMITS.stepFunctionsPayloadBytes) throw new InputTooLarge(bytes);
    const executionArn = `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const record: ExecutionRecord = {
      executionArn,
      name,
      input,
      startDate: Date.now(),
      status: "RUNNING",
      done: Promise.resolve().then(async () => {
        const result = await this.execute(JSON.parse(input), executionArn, name);
        Object.assign(record, { status: result.status, stopDate: Date.now(), error: result.error?.name, cause: result.error?.cause });
        await this.props.onEnd?.(record);
        return result;
      }),
    };
    this.executions.set(name, record);
    return record;
  }

  /**
   * StartSyncExecution (EXPRESS only): runs the execution and answers with how it ended.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
   */
  async startSyncExecution(body: JsonObject): Promise<[number, unknown]> {
    if (this.props.type !== "EXPRESS")
      return [400, { __type: "StateMachineTypeNotSupported", message: "This operation is only supported by EXPRESS state machines" }];
    const refused = this.refusal(body);
    if (refused) return refused;
    const record = this.start(textOf(body.input ?? "{}"), textOf(body.name ?? randomUUID()));
    const result = await record.done;
    return [
      200,
      {
        executionArn: record.executionArn,
        stateMachineArn: this.stateMachineArn,
        name: record.name,
        status: result.status,
        startDate: record.startDate / 1000,
        stopDate: Date.now() / 1000,
        input: record.input,
        ...(result.output !== undefined ? { output: JSON.stringify(result.output) } : {}),
        ...(result.error ? { error: result.error.name, cause: result.error.cause } : {}),
      },
    ];
  }

  /** StartExecution as the service answers it: STANDARD refuses a name in use, EXPRESS does not check names. */
  startExecution(body: JsonObject): [number, unknown] {
    const refused = this.refusal(body);
    if (refused) return refused;
    if (this.props.type === "EXPRESS") {
      // https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html: no name idempotency.
      const record = this.start(textOf(body.input ?? "{}"));
      record.done.catch(() => undefined);
      return [200, { executionArn: record.executionArn, startDate: record.startDate / 1000 }];
    }
    const name = textOf(body.name ?? randomUUID());
    const input = textOf(body.input ?? "{}");
    const existing = this.executions.get(name);
    if (existing) {
      // STANDARD: the same name and input as a running execution returns it; anything else is refused.
      if (existing.status === "RUNNING" && existing.input === input)
        return [200, { executionArn: existing.executionArn, startDate: existing.startDate / 1000 }];
      return [400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${existing.executionArn}'` }];
    }
    const record = this.start(input, name);
    record.done.catch(() => undefined);
    return [200, { executionArn: record.executionArn, startDate: record.startDate / 1000 }];
  }

  /** What StartExecution and StartSyncExecution refuse before anything runs: a bad name, an input over 256 KiB. */
  private refusal(body: JsonObject): [number, unknown] | undefined {
    if (body.name !== undefined) {
      const name = textOf(body.name);
      const problem = executionNameProblem(name);
      if (problem) return [400, { __type: "InvalidName", message: `Invalid Name: '${name}' (${problem})` }];
    }
    const bytes = utf8Bytes(textOf(body.input ?? "{}"));
    if (bytes > AWS_LIMITS.stepFunctionsPayloadBytes)
      return [400, { __type: "ValidationException", message: new InputTooLarge(bytes).message }];
    return undefined;
  }

  /** DescribeExecution: EXPRESS executions are not kept, so never found (as the API documents). */
  describeExecution(executionArn: string): Record<string, unknown> | undefined {
    const record = this.props.type === "EXPRESS" ? undefined : this.all.find((e) => e.executionArn === executionArn);
    if (!record) return undefined;
    return {
      executionArn: record.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate / 1000,
      ...(record.stopDate ? { stopDate: record.stopDate / 1000 } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.error ? { error: record.error } : {}),
      ...(record.cause ? { cause: record.cause } : {}),
    };
  }

  listExecutions(body: JsonObject): [number, unknown] {
    const all = this.all.filter((e) => !body.statusFilter || e.status === body.statusFilter).sort((a, b) => b.startDate - a.startDate);
    const from = Number(body.nextToken ?? 0);
    const size = Number(body.maxResults || 100);
    const page = all.slice(from, from + size);
    return [
      200,
      {
        executions: page.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: this.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate / 1000,
          ...(e.stopDate ? { stopDate: e.stopDate / 1000 } : {}),
        })),
        ...(from + size < all.length ? { nextToken: String(from + size) } : {}),
      },
    ];
  }

  /** What Step Functions puts on the default bus when an execution ends. */
  statusChangeEvent(record: ExecutionRecord, region: string, account: string) {
    const event = this.statusChange(record, region, account);
    // An event is at most 256 KB: an input that would not fit is left out and marked not included
    // (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CloudWatchEventsExecutionDataDetails.html);
    // redrive then reads it back from the execution.
    const bytes = putEventsEntryBytes({ Source: event.source, DetailType: event["detail-type"], Detail: JSON.stringify(event.detail) });
    if (bytes <= AWS_LIMITS.putEventsEntryBytes) return event;
    return { ...event, detail: { ...event.detail, input: null, inputDetails: { included: false } } };
  }

  private statusChange(record: ExecutionRecord, region: string, account: string) {
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": "Step Functions Execution Status Change",
      source: "aws.states",
      account,
      time: new Date(record.stopDate ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: this.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate,
        stopDate: record.stopDate,
        input: record.input,
        inputDetails: { included: true },
        output: null,
        outputDetails: null,
        error: record.error ?? null,
        cause: record.cause ?? null,
      },
    };
  }

  /** Waits for every execution started so far. */
  async settled(): Promise<void> {
    await Promise.all(this.all.map((e) => e.done.catch(() => undefined)));
  }

  private async execute(input: unknown, executionArn: string, name: string): Promise<ExecutionResult> {
    const { callbacks } = this.props;
    const tokens: string[] = [];
    let attempts = 0;
    // A payload over 256 KiB ends the execution with States.DataLimitExceeded, past every Retry and Catch.
    let dataLimit: DataLimitExceeded | undefined;
    let runtimeError: { name: string; cause: string } | undefined;
    let abort: () => void = () => undefined;
    const checkSize = (what: string, value: unknown) => {
      const bytes = utf8Bytes(JSON.stringify(value ?? null));
      if (bytes > AWS_LIMITS.stepFunctionsPayloadBytes && !dataLimit) {
        dataLimit = new DataLimitExceeded(what, bytes);
        abort();
      }
      if (dataLimit) throw dataLimit;
    };
    const invoke = async (taskInput: unknown): Promise<unknown> => {
      checkSize("task input", taskInput);
      attempts++;
      const functionName = String((taskInput as { FunctionName?: unknown } | null)?.FunctionName);
      const functionArn = this.props.resolveFunction(functionName);
      if (!functionArn) throw new TaskFailedError("Lambda.ResourceNotFoundException", `Function not found: ${functionName}`);
      // The Invoke API gives the function {} when the task passes no Payload.
      const payload = (taskInput as { Payload?: unknown }).Payload ?? {};
      try {
        return await this.props.invoke(functionArn, payload);
      } catch (error) {
        // A function error fails the task with the function's error type, as Lambda reports it.
        const failure = error instanceof Error ? error : new Error(String(error));
        throw new TaskFailedError(failure.name, JSON.stringify({ errorType: failure.name, errorMessage: failure.message }));
      }
    };
    const callbackTask: LocalTaskHandler = async (taskInput) => {
      // Each attempt of a task gets its own token; the token of a failed attempt can no longer be answered.
      const token = `local-task-token-${randomUUID()}`;
      tokens.push(token);
      const outcome = callbacks.waitFor(token);
      // Answered (or failed) while the invocation still runs: handled below, never an unhandled rejection.
      outcome.catch(() => undefined);
      try {
        await invoke(replaceString(taskInput, TOKEN_PLACEHOLDER, token));
      } catch (error) {
        callbacks.expire(token);
        throw error;
      }
      return (await outcome) as JSONValue;
    };
    const requestResponseTask: LocalTaskHandler = async (taskInput) => {
      const requestId = randomUUID();
      const payload = await invoke(taskInput);
      return {
        ExecutedVersion: "$LATEST",
        Payload: payload as JSONValue,
        StatusCode: 200,
        SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { "X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": requestId } },
        SdkResponseMetadata: { RequestId: requestId },
      };
    };
    // SQS SendMessage as the optimized integration: a JSON MessageBody is sent as its JSON text.
    const sqsTask: LocalTaskHandler = async (taskInput) => {
      const { QueueUrl, MessageBody } = taskInput as { QueueUrl: string; MessageBody: unknown };
      try {
        const messageId = await this.props.sendMessage!(
          QueueUrl,
          typeof MessageBody === "string" ? MessageBody : JSON.stringify(MessageBody),
        );
        return { MessageId: messageId, MD5OfMessageBody: "" };
      } catch (error) {
        // SQS refused the message (over its maximum size): the task fails with the integration's SQS error.
        if (error instanceof Error && error.name === "InvalidParameterValue")
          throw new TaskFailedError("SQS.InvalidParameterValueException", error.message);
        throw error;
      }
    };
    const handlers = { callback: callbackTask, "request-response": requestResponseTask, sqs: sqsTask };
    const run = this.machine.run(input as JSONValue, {
      context: {
        Task: { Token: TOKEN_PLACEHOLDER },
        Execution: { Id: executionArn, Name: name, Input: input as JSONValue },
        StateMachine: { Id: this.stateMachineArn, Name: this.name },
      },
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries([...this.tasks].map(([state, kind]) => [state, handlers[kind]])),
        ...(this.props.retryIntervalMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries([...this.tasks.keys()].map((state) => [state, this.props.retryIntervalMs!])) }
          : {}),
      },
    });
    abort = () => run.abort();
    const events: ExecutionEvent[] = [];
    const collecting = (async () => {
      for await (const event of run.eventLogs) {
        events.push(event as ExecutionEvent);
        // An intrinsic function that fails in a payload template (States.StringToJson of text that is not JSON)
        // is a States.Runtime error on AWS, which no Catch sees; the engine raises the JavaScript error instead,
        // which a Catch of States.ALL would take. The execution fails there, as on AWS.
        const failed = event as ExecutionEvent;
        if (
          (failed.type === "StateFailed" || failed.type === "StateCaught") &&
          failed.Error &&
          JAVASCRIPT_ERRORS.has(failed.Error) &&
          !runtimeError
        ) {
          runtimeError = {
            name: "States.Runtime",
            cause: `An error occurred while executing the state '${failed.state?.name}': ${failed.Error}: ${failed.Cause ?? ""}`,
          };
          abort();
        }
        // A state's input or output over the limit fails the execution there (checked as the state exits).
        const state = (event as ExecutionEvent).state;
        if ((event as ExecutionEvent).type === "StateExited" && state) {
          try {
            checkSize(`state/task '${state.name}' output`, state.output);
          } catch {
            // Recorded in dataLimit; the run is aborted.
          }
        }
      }
    })();
    let result: Pick<ExecutionResult, "status" | "output" | "error">;
    try {
      result = { status: "SUCCEEDED", output: await run.result };
      checkSize("execution output", result.output);
    } catch (error) {
      if (runtimeError) {
        result = { status: "FAILED", error: runtimeError };
      } else if (dataLimit) {
        result = { status: "FAILED", error: { name: dataLimit.name, cause: dataLimit.message } };
      } else if (error instanceof ExecutionTimeoutError) {
        result = { status: "TIMED_OUT", error: { name: "States.Timeout", cause: "the execution exceeded its TimeoutSeconds" } };
      } else if (error instanceof ExecutionError) {
        const cause = error.cause as Error & { cause?: string };
        result = { status: "FAILED", error: { name: cause.name, cause: String(cause.cause ?? cause.message) } };
      } else {
        throw error;
      }
    } finally {
      tokens.forEach((token) => callbacks.expire(token));
    }
    await collecting;
    // A state whose output passed the limit as the run ended: AWS fails the execution there.
    if (dataLimit && result.status === "SUCCEEDED")
      result = { status: "FAILED", error: { name: dataLimit.name, cause: dataLimit.message } };
    if (runtimeError && result.error?.name !== "States.Runtime") result = { status: "FAILED", error: runtimeError };
    const entered = events.filter((e) => e.type === "StateEntered");
    return {
      ...result,
      executionArn,
      name,
      states: entered.map((e) => e.state!.name),
      events,
      finalStateInput: entered.at(-1)?.state?.input,
      attempts,
    };
  }
}

function replaceString(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => replaceString(item, from, to));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceString(item, from, to)]));
  }
  return value;
}

/** Errors of the JavaScript engine itself, which the offline engine may raise where Step Functions raises States.Runtime. */
const JAVASCRIPT_ERRORS = new Set(["SyntaxError", "RangeError", "TypeError", "ReferenceError"]);

/** StartExecution's refusal of an input over Step Functions' limit (the API's length constraint on `input`). */
export class InputTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(
      `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${AWS_LIMITS.stepFunctionsPayloadBytes} (got ${bytes} bytes)`,
    );
    this.name = "ValidationException";
  }
}
