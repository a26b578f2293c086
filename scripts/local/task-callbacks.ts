import { AWS_LIMITS } from "./aws-limits";
import { FaultKeys, FaultPlan, NO_FAULT_KEYS } from "./faults";
import { AwsJsonRequest, AwsJsonServer, OperationHandler, Respond } from "./aws-json-server";

/**
 * A local Step Functions endpoint for the two calls a callback task's worker makes, SendTaskSuccess and SendTaskFailure,
 * speaking the same AWS JSON 1.0 protocol as the service, so the real @aws-sdk/client-sfn talks to it.
 *
 * Like Step Functions, it completes the waiting task with the callback's output, or fails it with the
 * callback's error and cause; a token that is unknown, already answered or timed out is refused with the
 * service's error names. Other Step Functions operations (StartExecution, DescribeExecution, ...) can be
 * served by the caller through `serve`, so one endpoint is "Step Functions" for every client.
 */
export type TaskCallback =
  | { readonly kind: "SendTaskSuccess"; readonly taskToken: string; readonly output: string }
  | { readonly kind: "SendTaskFailure"; readonly taskToken: string; readonly error?: string; readonly cause?: string };

export class TaskFailedError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface Waiter {
  resolve(output: unknown): void;
  reject(error: Error): void;
}

export class TaskCallbackEndpoint {
  /** Every callback the endpoint received, accepted or not, in order. */
  public readonly received: TaskCallback[] = [];
  private readonly waiting = new Map<string, Waiter>();
  private readonly closedTokens = new Set<string>();
  /** Requests to refuse with a 500 before serving normally (to exercise the SDK's retries). */
  private injectedServerErrors = 0;
  private readonly operations = new Map<string, OperationHandler>();

  private server?: AwsJsonServer;

  private constructor(
    private readonly faults: FaultPlan,
    private readonly keys: FaultKeys,
  ) {}

  static async start(faults: FaultPlan = new FaultPlan(), keys: FaultKeys = NO_FAULT_KEYS): Promise<TaskCallbackEndpoint> {
    const instance = new TaskCallbackEndpoint(faults, keys);
    instance.server = await AwsJsonServer.start((request, respond) => instance.handle(request, respond));
    return instance;
  }

  /** `http://127.0.0.1:<port>`, for the SDK client's endpoint. */
  get endpoint(): string {
    if (!this.server) throw new Error("the local Step Functions endpoint is not started");
    return this.server.endpoint;
  }

  /** Serves another Step Functions operation on this endpoint. */
  serve(operation: string, handler: OperationHandler): void {
    this.operations.set(operation, handler);
  }

  /** Registers a task token and returns the task's outcome: the parsed output, or a TaskFailedError. */
  waitFor(taskToken: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiting.set(taskToken, { resolve, reject }));
  }

  /** Ends a token that was not answered (its task timed out): later callbacks get TaskTimedOut. */
  expire(taskToken: string): void {
    if (this.waiting.delete(taskToken)) this.closedTokens.add(taskToken);
  }

  failNextRequests(count: number): void {
    this.injectedServerErrors = count;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private handle(request: AwsJsonRequest, respond: Respond): void | Promise<void> {
    if (this.injectedServerErrors > 0) {
      this.injectedServerErrors--;
      return respond(500, { __type: "ServiceUnavailable", message: "injected by the test endpoint" });
    }
    const target = request.target;
    const body = JSON.parse(request.text || "{}") as Record<string, string>;
    const operation = target.replace(/^AWSStepFunctions\./, "");
    const served = this.operations.get(operation);
    // The server answers a handler that throws or rejects with a 500 InternalFailure.
    if (served) return served(body).then(([status, answer]) => respond(status, answer));
    if (operation !== "SendTaskSuccess" && operation !== "SendTaskFailure") {
      return respond(400, { __type: "UnknownOperationException", message: `not served locally: ${target}` });
    }
    if (operation === "SendTaskSuccess" && Buffer.byteLength(String(body.output ?? ""), "utf8") > AWS_LIMITS.sendTaskSuccessOutputBytes) {
      return respond(400, {
        __type: "ValidationException",
        message: `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${AWS_LIMITS.sendTaskSuccessOutputBytes}`,
      });
    }
    if (operation === "SendTaskSuccess" && this.faults.take("failSendTaskSuccess", this.keys.ofTaskOutput(String(body.output)))) {
      return respond(503, { __type: "ServiceUnavailable", message: "injected: the callback endpoint is unavailable" });
    }
    const callback: TaskCallback =
      operation === "SendTaskSuccess"
        ? { kind: operation, taskToken: body.taskToken, output: body.output }
        : { kind: operation, taskToken: body.taskToken, error: body.error, cause: body.cause };
    this.received.push(callback);

    const waiter = this.waiting.get(body.taskToken);
    if (!waiter) {
      return this.closedTokens.has(body.taskToken)
        ? respond(400, { __type: "TaskTimedOut", message: "Task Timed Out" })
        : respond(400, { __type: "TaskDoesNotExist", message: "Task does not exist anymore" });
    }
    if (callback.kind === "SendTaskSuccess") {
      let output: unknown;
      try {
        output = JSON.parse(callback.output);
      } catch {
        return respond(400, { __type: "InvalidOutput", message: "Invalid State Machine Execution output" });
      }
      this.waiting.delete(body.taskToken);
      this.closedTokens.add(body.taskToken);
      waiter.resolve(output);
    } else {
      this.waiting.delete(body.taskToken);
      this.closedTokens.add(body.taskToken);
      waiter.reject(new TaskFailedError(callback.error ?? "", callback.cause ?? ""));
    }
    return respond(200, {});
  }
}
