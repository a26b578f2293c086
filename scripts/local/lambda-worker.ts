import { createRequire } from "node:module";
import * as path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import "./node-compat";

/**
 * One execution environment of a local Lambda function, run in its own worker thread (see lambda-service.ts):
 * the worker's process.env is the function's environment alone, its module scope is the function's, and it
 * serves one invocation at a time, as Lambda does. This file is bundled by esbuild into the source the Worker
 * evaluates, so it may import only Node.js built-ins and modules without dependencies.
 *
 * Protocol: the host posts {id, event, context}; the worker answers {id, ok: true, payload} with the handler's
 * result as JSON text (what Lambda returns), or {id, ok: false, error: {name, message}} when the handler throws.
 * A load failure is answered to every invocation, as the runtime reports an init error on each one. Once the
 * handler is loaded (or failed to load), the worker posts READY: the function's timeout counts from there, as
 * Lambda's init phase is not part of it.
 */
export const READY = "ready";

export interface WorkerSetup {
  readonly taskRoot: string;
  /** `<file>.<export>`, as in the function's `handler` attribute. */
  readonly handler: string;
}

export interface InvokeMessage {
  readonly id: string;
  readonly event: unknown;
  readonly context: InvocationContext;
}

/** The fields of the Lambda context object that the host decides; the worker adds getRemainingTimeInMillis. */
export interface InvocationContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Epoch milliseconds at which the invocation times out. */
  readonly deadline: number;
}

export type WorkerAnswer =
  | { readonly id: string; readonly ok: true; readonly payload: string }
  | { readonly id: string; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

type Handler = (event: unknown, context: unknown) => unknown;

/** Requires `<file>` from the task root and takes `<export>`, as the Node.js runtime does. */
function requireHandler(setup: WorkerSetup): Handler {
  const dot = setup.handler.lastIndexOf(".");
  if (dot <= 0) throw new Error(`handler ${setup.handler} is not <file>.<export>`);
  const [file, exportName] = [setup.handler.slice(0, dot), setup.handler.slice(dot + 1)];
  const load = createRequire(path.join(setup.taskRoot, "noop.js"));
  const handler = (load(path.join(setup.taskRoot, file)) as Record<string, unknown>)[exportName];
  if (typeof handler !== "function") throw new Error(`${setup.handler}: ${file} has no exported function ${exportName}`);
  return handler as Handler;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: "Error", message: String(error) };
}

if (parentPort) {
  const port = parentPort;
  let handler: Handler | undefined;
  let initError: { name: string; message: string } | undefined;
  try {
    handler = requireHandler(workerData as WorkerSetup);
  } catch (error) {
    initError = describe(error);
  }
  port.postMessage(READY);
  const serve = async ({ id, event, context }: InvokeMessage): Promise<void> => {
    if (!handler) return port.postMessage({ id, ok: false, error: initError! } satisfies WorkerAnswer);
    const lambdaContext = {
      ...context,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
    };
    try {
      const result = await handler(event, lambdaContext);
      port.postMessage({ id, ok: true, payload: JSON.stringify(result ?? null) } satisfies WorkerAnswer);
    } catch (error) {
      port.postMessage({ id, ok: false, error: describe(error) } satisfies WorkerAnswer);
    }
  };
  port.on("message", (message: InvokeMessage) => {
    // An answer that cannot be posted fails the worker, as the unhandled rejection did: the host discards the environment.
    void serve(message).catch((error: unknown) =>
      process.nextTick(() => {
        throw error;
      }),
    );
  });
}
