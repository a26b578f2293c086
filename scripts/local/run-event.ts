import { readFileSync } from "node:fs";
import * as path from "node:path";
import "./node-compat";
import { defineCli, oneLine, runCli, UsageError } from "../cli/args";
import { recordIdOf } from "../../lambdas/recorder/record";
import type { TargetDelivery } from "./event-bus";
import type { LocalPipeline } from "./pipeline";
import { readPipelineStack } from "../synthesized/stack-json";

/**
 * npm run local -- <event.json> [--stack-dir cdktf.out/stacks/<stack>]
 *
 * Runs one event through the offline pipeline and prints the state transitions, the stored item, the route the
 * event took and where it rests (the table, a queue, or nowhere); exit 0 when it was recorded, 1 when not. Without
 * --stack-dir it synthesizes the first configured environment into a temporary folder first, so what runs is
 * what `cdktf synth` would produce now.
 */
const CLI = defineCli({
  command: "npm run local --",
  synopsis: "<event.json> [--stack-dir DIR]",
  summary:
    "Runs one event through the offline pipeline (rule pattern, state machine, the recorder from its zip, DynamoDB, callback) and " +
    "prints the state transitions, the stored item, the route the event took and where it rests: the table, the dead-letter queue, " +
    "the failed-executions queue, or nowhere because no rule matched. Exits 0 when the event was recorded, 1 when not, 2 on bad arguments.",
  positionals: [
    {
      name: "event file",
      description: "an EventBridge event as a JSON object, such as examples/sample-event.json",
      required: true,
      tooMany: "one event file at a time",
    },
  ],
  options: {
    "stack-dir": {
      value: "DIR",
      description: "a synthesized pipeline stack folder to run",
      default: "the first configured environment, synthesized now into a temporary folder",
      example: "cdktf.out/stacks/message-recorder-dev",
    },
  },
  examples: ["npm run local -- examples/sample-event.json"],
});
const EXPECTED_EVENT = "expected an EventBridge event as a JSON object, such as examples/sample-event.json";

/** The event file's content; a missing, unreadable or malformed file is a UsageError that names it. */
function readEvent(eventFile: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(eventFile, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the event file ${eventFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${eventFile} is not valid JSON (${(error as Error).message}); ${EXPECTED_EVENT}`);
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new UsageError(`${eventFile} holds ${Array.isArray(event) ? "an array" : JSON.stringify(event)}; ${EXPECTED_EVENT}`);
  }
  return event as Record<string, unknown>;
}

async function main(argv: string[]): Promise<void> {
  const args = CLI.parse(argv);
  const event = readEvent(args.positionals[0]);

  // The synth and the pipeline are loaded only when needed: bad arguments are answered without them.
  const stackDir =
    args.string("stack-dir") !== undefined
      ? path.resolve(args.string("stack-dir")!)
      : (await import("../synthesized/synth")).synthesizeFirstEnvironment();
  readPipelineStack(stackDir);

  const { LocalPipeline: Pipeline } = await import("./pipeline");
  let pipeline: LocalPipeline;
  try {
    pipeline = await Pipeline.start({ stackDir });
  } catch (error) {
    throw new Error(`cannot run the pipeline of ${stackDir}: ${oneLine(error)}; expected a synthesized pipeline stack folder`, {
      cause: error,
    });
  }
  try {
    process.stdout.write(`stack: ${stackDir}\n`);
    const before = queueDepths(pipeline);
    const deliveries = await pipeline.putEvent(event);
    const delivered = deliveries.find((d) => d.target.kind === "state-machine");
    const execution = delivered?.execution;
    for (const entry of execution?.events ?? []) {
      if (entry.type === "StateEntered" || entry.type === "StateExited" || entry.type === "StateFailed" || entry.type === "StateCaught") {
        process.stdout.write(`${entry.type.padEnd(13)} ${entry.state!.name}\n`);
      }
    }
    if (execution) {
      process.stdout.write(`execution: ${execution.status}\n`);
      if (execution.error) process.stdout.write(`error: ${execution.error.name}: ${String(abbreviate(execution.error.cause))}\n`);
      process.stdout.write(`output: ${JSON.stringify(abbreviate(execution.output ?? execution.finalStateInput), null, 2)}\n`);
    }
    const recordKey = recordIdOf(event);
    const item = recordKey ? await pipeline.storedItem(recordKey) : undefined;
    const recorded = execution?.status === "SUCCEEDED" && item !== undefined;
    if (execution) process.stdout.write(`stored item: ${item ? JSON.stringify(abbreviate(item), null, 2) : "none"}\n`);
    const { route, rests } = routeOf(pipeline, event, delivered, recorded ? recordKey : undefined, before);
    process.stdout.write(`route: ${route.join(" -> ")}\n`);
    process.stdout.write(`rests in: ${rests} (exit ${recorded ? "0: recorded" : "1: not recorded"})\n`);
    process.exitCode = recorded ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

/** How many messages each of the stack's queues holds. */
function queueDepths(pipeline: LocalPipeline): Map<string, number> {
  const names = [pipeline.queueNames.deadLetter, pipeline.queueNames.failedExecutions].filter((n): n is string => n !== undefined);
  return new Map(names.map((name) => [name, pipeline.queues.messages(name).length]));
}

/** The hops the event took, and where it rests now: the table, a queue, or nowhere. */
function routeOf(
  pipeline: LocalPipeline,
  event: Record<string, unknown>,
  delivered: TargetDelivery | undefined,
  recordKey: string | undefined,
  before: Map<string, number>,
): { route: string[]; rests: string } {
  const route = [`bus ${pipeline.busName}`];
  if (!delivered) {
    route.push(`no rule matched (source ${JSON.stringify(event.source ?? null)})`);
    return { route, rests: "nowhere: no rule of the stack matched the event, so nothing was started or kept" };
  }
  route.push(`rule ${lastSegment(delivered.ruleArn, "/")}`);
  const arrived = (queue: string | undefined) => queue !== undefined && pipeline.queues.messages(queue).length > (before.get(queue) ?? 0);
  const { deadLetter, failedExecutions } = pipeline.queueNames;
  if (delivered.deadLetterFailed || (delivered.deadLettered && !arrived(deadLetter))) {
    route.push("StartExecution failed after the target's retries", "dead-letter queue refused it");
    return { route, rests: "nowhere but the bus archive: npm run reconcile records it once the cause is fixed" };
  }
  if (delivered.deadLettered) {
    route.push("StartExecution failed after the target's retries", `dead-letter queue ${deadLetter}`);
    return { route, rests: `the dead-letter queue ${deadLetter}: npm run redrive starts it again once the cause is fixed` };
  }
  const execution = delivered.execution!;
  route.push(
    `state machine ${lastSegment(delivered.target.arn, ":")} (${execution.status}${execution.error ? `: ${execution.error.name}` : ""})`,
  );
  if (recordKey) {
    route.push(`table ${pipeline.tableName}`);
    return { route, rests: `the table ${pipeline.tableName}, item ${recordKey}` };
  }
  if (arrived(failedExecutions)) {
    route.push(`failed-executions queue ${failedExecutions}`);
    return { route, rests: `the failed-executions queue ${failedExecutions}: npm run redrive keeps or records it` };
  }
  if (arrived(deadLetter)) {
    route.push("capture rule could not write the failed-executions queue", `dead-letter queue ${deadLetter}`);
    return { route, rests: `the dead-letter queue ${deadLetter}: npm run redrive reads it` };
  }
  return { route, rests: "nowhere but the execution history and the bus archive: npm run reconcile records it" };
}

function lastSegment(arn: string, separator: string): string {
  return arn.slice(arn.lastIndexOf(separator) + 1);
}

/** Long strings shortened for the terminal: a 300 KB message is shown by its start and its size. */
export function abbreviate(value: unknown, maxCharacters = 200): unknown {
  if (typeof value === "string") {
    return value.length <= maxCharacters ? value : `${value.slice(0, 120)}... (${Buffer.byteLength(value, "utf8")} bytes in all)`;
  }
  if (Array.isArray(value)) return value.map((item) => abbreviate(item, maxCharacters));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, abbreviate(item, maxCharacters)]));
  }
  return value;
}

runCli(CLI, () => main(process.argv.slice(2)));
