import * as path from "node:path";
import AdmZip from "adm-zip";
import { temporaryDirectory } from "../temp-dir";
import { LocalFunction } from "./lambda-service";

export type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** Unzips a deployment package into a new task root, as Lambda does before the first cold start. */
export function extractArchive(zipPath: string): string {
  const taskRoot = temporaryDirectory("lambda-task-root");
  new AdmZip(zipPath).extractAllTo(taskRoot, true);
  return taskRoot;
}

/**
 * Loads a handler from a deployment package the way the Node.js runtime does: unzip into a task root, then run
 * `<file>.<export>` of the handler string in its own execution environment (a worker thread) whose process.env is
 * `environment`; the host's process.env is left alone. Each call is a new function with its own cold start. The
 * environment's thread does not keep the process alive while it is idle, so callers need not close it.
 */
export function loadHandlerFromArchive(
  zipPath: string,
  handlerName: string,
  environment: Record<string, string>,
  timeoutSeconds = 30,
): Handler {
  const name = path.basename(zipPath, ".zip");
  const fn = new LocalFunction({
    functionName: name,
    functionArn: `arn:aws:lambda:${environment.AWS_REGION ?? "us-east-1"}:000000000000:function:${name}`,
    taskRoot: extractArchive(zipPath),
    handler: handlerName,
    environment,
    timeoutSeconds,
    memoryMb: 256,
  });
  return (event) => fn.invoke(event);
}
