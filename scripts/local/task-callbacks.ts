import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { JsonObject } from "../json-value";
import { AWS_LIMITS } from "./aws-limits";
import { FaultKeys, FaultPlan, NO_FAULT_KEYS } from "./faults";
import { reply } from "./queues";

/**
 * A local Step Functions endpoint for the two calls a callback task's worker makes, SendTaskSuccess and SendTaskFailure,
 * speaking the same AWS JSON 1.0 protocol as the service, so the real @aws-sdk/client-sfn talks to it.
 *
 * Like Step Functions, it completes the waiting task with the callback's output, or fails it with the
 * callback's error and cause; a token that is unknown, already answered or timed out is refused with the
 * service's error names. Other Step Functions operations (StartExecution, DescribeExecution, ...) can be
 * served by the caller through `serve`, so one endpoint is "Step Functions" for every client.
 */
export type OperationHandler = (body: JsonObject) => Promise<[number, unknown]>;
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

  private constructor(
    private readonly server: Server,
    public readonly endpoint: string,
    private readonly faults: FaultPlan,
    private readonly keys: FaultKeys,
  ) {}

  static async start(faults: FaultPlan = new FaultPlan(), keys: FaultKeys = NO_FAULT_KEYS): Promise<TaskCallbackEndpoint> {
    const server = createServer((req, res) => instance.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const instance = new TaskCallbackEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, faults, keys);
    return instance;
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (this.injectedServerErrors > 0) {
        this.injectedServerErrors--;
        return reply(res, 500, { __type: "ServiceUnavailable", message: "injected by the test endpoint" });
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, string>;
      const operation = target.replace(/^AWSStepFunctions\./, "");
      const served = this.operations.get(operation);
      if (served) {
        // A handler that throws instead of returning a rejected promise is answered the same way.
        new Promise<[number, unknown]>((resolve) => resolve(served(body))).then(
          ([status, answer]) => reply(res, status, answer),
          (error: Error) => reply(res, 500, { __type: "InternalFailure", message: error.message }),
        );
        return;
      }
      if (operation !== "SendTaskSuccess" && operation !== "SendTaskFailure") {
        return reply(res, 400, { __type: "UnknownOperationException", message: `not served locally: ${target}` });
      }
      if (operation === "SendTaskSuccess" && Buffer.byteLength(String(body.output ?? ""), "utf8") > AWS_LIMITS.sendTaskSuccessOutputBytes) {
        return reply(res, 400, {
          __type: "ValidationException",
          message: `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${AWS_LIMITS.sendTaskSuccessOutputBytes}`,
        });
      }
      if (operation === "SendTaskSuccess" && this.faults.take("failSendTaskSuccess", this.keys.ofTaskOutput(String(body.output)))) {
        return reply(res, 503, { __type: "ServiceUnavailable", message: "injected: the callback endpoint is unavailable" });
      }
      const callback: TaskCallback =
        operation === "SendTaskSuccess"
          ? { kind: operation, taskToken: body.taskToken, output: body.output }
          : { kind: operation, taskToken: body.taskToken, error: body.error, cause: body.cause };
      this.received.push(callback);

      const waiter = this.waiting.get(body.taskToken);
      if (!waiter) {
        return this.closedTokens.has(body.taskToken)
          ? reply(res, 400, { __type: "TaskTimedOut", message: "Task Timed Out" })
          : reply(res, 400, { __type: "TaskDoesNotExist", message: "Task does not exist anymore" });
      }
      if (callback.kind === "SendTaskSuccess") {
        let output: unknown;
        try {
          output = JSON.parse(callback.output);
        } catch {
          return reply(res, 400, { __type: "InvalidOutput", message: "Invalid State Machine Execution output" });
        }
        this.waiting.delete(body.taskToken);
        this.closedTokens.add(body.taskToken);
        waiter.resolve(output);
      } else {
        this.waiting.delete(body.taskToken);
        this.closedTokens.add(body.taskToken);
        waiter.reject(new TaskFailedError(callback.error ?? "", callback.cause ?? ""));
      }
      return reply(res, 200, {});
    });
  }
}
