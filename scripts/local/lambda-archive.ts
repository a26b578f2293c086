import { createRequire } from "node:module";
import * as path from "node:path";
import AdmZip from "adm-zip";
import { temporaryDirectory } from "../temp-dir";

export type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * Loads a handler from a deployment package the way the Node.js runtime does: unzip into a task root, set the
 * function's environment, then require `<file>` and take `<export>` from the handler string. Each call unzips
 * to a new folder, so every load is a cold start with its own module scope.
 */
export function loadHandlerFromArchive(zipPath: string, handlerName: string, environment: Record<string, string>): Handler {
  const taskRoot = temporaryDirectory("lambda-task-root");
  new AdmZip(zipPath).extractAllTo(taskRoot, true);
  const [file, exportName] = splitHandler(handlerName);
  Object.assign(process.env, { LAMBDA_TASK_ROOT: taskRoot, ...environment });
  const load = createRequire(path.join(taskRoot, "noop.js"));
  const loaded = load(path.join(taskRoot, file)) as Record<string, unknown>;
  const handler = loaded[exportName];
  if (typeof handler !== "function") throw new Error(`${handlerName}: ${file} has no exported function ${exportName}`);
  return handler as Handler;
}

function splitHandler(handlerName: string): [string, string] {
  const dot = handlerName.lastIndexOf(".");
  if (dot <= 0) throw new Error(`handler ${handlerName} is not <file>.<export>`);
  return [handlerName.slice(0, dot), handlerName.slice(dot + 1)];
}
