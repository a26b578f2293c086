import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { buildSync } from "esbuild";
import type { InvokeMessage, READY, WorkerAnswer, WorkerSetup } from "./lambda-worker";

/**
 * A Lambda function run offline from its deployment package: each execution environment is a worker thread
 * (lambda-worker.ts) with the function's own environment variables as its process.env, its own module scope,
 * and a heap limited to the function's memory. Like Lambda, an environment serves one invocation at a time; a
 * busy function starts another (a cold start), an idle one is reused (a warm start). A timeout, a crash or an
 * environment that exits fails the invocation as Lambda.Unknown and the environment is thrown away; the next
 * invocation starts a fresh one. Nothing of the function's environment reaches the host's process.env.
 */
export interface LocalFunctionProps {
  readonly functionName: string;
  readonly functionArn: string;
  /** The extracted deployment package (see extractArchive). */
  readonly taskRoot: string;
  /** `<file>.<export>`. */
  readonly handler: string;
  /** The function's environment variables; the worker's whole process.env besides LAMBDA_TASK_ROOT and the AWS_LAMBDA_* ones. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 3, Lambda's default */
  readonly timeoutSeconds?: number;
  /** Heap limit of each environment. @default 128, Lambda's default */
  readonly memoryMb?: number;
  /**
   * Execution environments at most; further invocations wait for one to be free. Lambda would scale out, but
   * a cold start is a whole module load, and many at once on a small machine outlast the function's timeout.
   * @default 4
   */
  readonly maxEnvironments?: number;
}

/** The handler threw (or rejected): Step Functions sees the error's name, as Lambda reports it in errorType. */
export class FunctionError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The function did not answer: it crashed, ran out of memory, timed out or its environment exited. Step
 * Functions reports all of these as Lambda.Unknown
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
export class LambdaUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Lambda.Unknown";
  }
}

interface Environment {
  readonly worker: Worker;
  /** Resolves when the handler is loaded (the init phase is over), or the environment is gone. */
  readonly ready: Promise<void>;
  readonly loaded: () => void;
  discarded: boolean;
  current?: {
    readonly requestId: string;
    readonly resolve: (payload: unknown) => void;
    readonly reject: (error: Error) => void;
    timer?: NodeJS.Timeout;
  };
}

let workerSource: string | undefined;

/** The worker entry, bundled once per process so it runs the same under tsx, Jest or plain node. */
function workerCode(): string {
  workerSource ??= buildSync({
    entryPoints: [path.join(__dirname, "lambda-worker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  }).outputFiles[0].text;
  return workerSource;
}

export class LocalFunction {
  readonly functionName: string;
  readonly functionArn: string;
  /** Execution environments started so far (cold starts). */
  coldStarts = 0;
  private alive = 0;
  private readonly idle: Environment[] = [];
  private readonly running = new Map<string, Environment>();
  private readonly waiting: Array<(environment: Environment) => void> = [];
  private closed = false;

  constructor(private readonly props: LocalFunctionProps) {
    this.functionName = props.functionName;
    this.functionArn = props.functionArn;
  }

  /** One synchronous invocation: the handler's result, parsed from the JSON it returned. */
  async invoke(event: unknown, requestId: string = randomUUID()): Promise<unknown> {
    if (this.closed) throw new Error(`function ${this.functionName} is closed`);
    const environment = await this.acquire();
    const timeoutSeconds = this.props.timeoutSeconds ?? 3;
    const answered = new Promise((resolve, reject) => {
      environment.current = { requestId, resolve, reject };
      this.running.set(requestId, environment);
    });
    // Failed before it is returned (the environment died during init): the caller still gets the rejection.
    answered.catch(() => undefined);
    // Only a busy environment keeps the host alive; an idle one must not hold a finished script open.
    environment.worker.ref();
    await environment.ready;
    const current = environment.current;
    if (current?.requestId === requestId) {
      current.timer = setTimeout(
        () => this.discard(environment, new LambdaUnknownError(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`)),
        timeoutSeconds * 1000,
      );
      const message: InvokeMessage = {
        id: requestId,
        event,
        context: {
          functionName: this.functionName,
          functionVersion: "$LATEST",
          invokedFunctionArn: this.functionArn,
          memoryLimitInMB: String(this.props.memoryMb ?? 128),
          awsRequestId: requestId,
          logGroupName: `/aws/lambda/${this.functionName}`,
          logStreamName: `local/[$LATEST]${requestId}`,
          deadline: Date.now() + timeoutSeconds * 1000,
        },
      };
      environment.worker.postMessage(message);
    }
    return answered;
  }

  /**
   * Kills the environment running this invocation, as a crash would: the invocation fails as Lambda.Unknown,
   * whatever the handler still had to do is lost. False when the invocation is not running.
   */
  crash(requestId: string, reason: string): boolean {
    const environment = this.running.get(requestId);
    if (!environment) return false;
    this.discard(environment, new LambdaUnknownError(reason));
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.running.values()];
    for (const environment of all) this.discard(environment, new LambdaUnknownError(`function ${this.functionName} was closed`));
    await Promise.all(all.map((e) => e.worker.terminate()));
  }

  /** An idle environment, a new one while there are fewer than the maximum, or the next one freed. */
  private acquire(): Promise<Environment> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.alive < (this.props.maxEnvironments ?? 4)) return Promise.resolve(this.startEnvironment());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(environment: Environment): void {
    const next = this.waiting.shift();
    if (next) return next(environment);
    environment.worker.unref();
    this.idle.push(environment);
  }

  private startEnvironment(): Environment {
    this.coldStarts++;
    this.alive++;
    const setup: WorkerSetup = { taskRoot: this.props.taskRoot, handler: this.props.handler };
    const worker = new Worker(workerCode(), {
      eval: true,
      workerData: setup,
      env: {
        ...this.props.environment,
        LAMBDA_TASK_ROOT: this.props.taskRoot,
        AWS_LAMBDA_FUNCTION_NAME: this.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.props.memoryMb ?? 128),
        // Lambda runs Node.js 22; the SDK's warning about this machine's Node.js 20 says nothing about the function.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      resourceLimits: { maxOldGenerationSizeMb: this.props.memoryMb ?? 128 },
    });
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => (loaded = resolve));
    const environment: Environment = { worker, ready, loaded, discarded: false };
    worker.on("message", (answer: WorkerAnswer | typeof READY) => {
      if (typeof answer === "string") return loaded();
      const current = environment.current;
      if (!current || current.requestId !== answer.id) return;
      clearTimeout(current.timer);
      environment.current = undefined;
      this.running.delete(answer.id);
      this.release(environment);
      if (answer.ok) current.resolve(JSON.parse(answer.payload));
      else current.reject(new FunctionError(answer.error.name, answer.error.message));
    });
    // An uncaught error or an exit (out of memory included) ends the environment and its invocation.
    worker.on("error", (error) => this.discard(environment, new LambdaUnknownError(`the execution environment failed: ${error.message}`)));
    worker.on("exit", (code) => this.discard(environment, new LambdaUnknownError(`the execution environment exited with code ${code}`)));
    return environment;
  }

  /** Throws an environment away, failing its invocation if it had one; a waiting invocation gets a new one. */
  private discard(environment: Environment, error: Error): void {
    if (environment.discarded) return;
    environment.discarded = true;
    environment.loaded();
    this.alive--;
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    const current = environment.current;
    environment.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      this.running.delete(current.requestId);
      current.reject(error);
    }
    void environment.worker.terminate();
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) next(this.startEnvironment());
  }
}
