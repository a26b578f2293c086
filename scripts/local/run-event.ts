import { readFileSync } from "node:fs";
import * as path from "node:path";
import "./node-compat";
import { oneLine, parseCommandLine, runCli, UsageError } from "../ops/args";
import type { LocalPipeline } from "./pipeline";
import { readPipelineStack } from "./stack-json";

/**
 * npm run local -- <event.json> [--stack-dir cdktf.out/stacks/<stack>]
 *
 * Runs one event through the offline pipeline and prints the state transitions and the stored item. Without
 * --stack-dir it synthesizes the first configured environment into a temporary folder first, so what runs is
 * what `cdktf synth` would produce now.
 */
const USAGE = "usage: npm run local -- <event.json> [--stack-dir <synthesized pipeline stack folder>]";
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
  const { options, positional } = parseCommandLine(argv, {
    valued: ["--stack-dir"],
    maxPositional: 1,
    positionalName: "argument (one event file only)",
  });
  if (positional.length === 0) throw new UsageError("the event file is required");
  const event = readEvent(positional[0]);

  // The synth and the pipeline are loaded only when needed: bad arguments are answered without them.
  const stackDir =
    typeof options["stack-dir"] === "string" ? path.resolve(options["stack-dir"]) : (await import("./synth")).synthesizeFirstEnvironment();
  readPipelineStack(stackDir);

  const { LocalPipeline: Pipeline } = await import("./pipeline");
  let pipeline: LocalPipeline;
  try {
    pipeline = await Pipeline.start({ stackDir });
  } catch (error) {
    throw new Error(`cannot run the pipeline of ${stackDir}: ${oneLine(error)}; expected a synthesized pipeline stack folder`);
  }
  try {
    process.stdout.write(`stack: ${stackDir}\n`);
    const result = await pipeline.publish(event);
    if (!result.matched) {
      process.stdout.write(`the rule did not match: no execution started\n`);
      return;
    }
    const execution = result.execution!;
    for (const entry of execution.events) {
      if (entry.type === "StateEntered" || entry.type === "StateExited" || entry.type === "StateFailed" || entry.type === "StateCaught") {
        process.stdout.write(`${entry.type.padEnd(13)} ${entry.state!.name}\n`);
      }
    }
    process.stdout.write(`execution: ${execution.status}\n`);
    if (execution.error) process.stdout.write(`error: ${execution.error.name}: ${execution.error.cause}\n`);
    process.stdout.write(`output: ${JSON.stringify(execution.output ?? execution.finalStateInput, null, 2)}\n`);
    const messageId = event.id;
    const item = typeof messageId === "string" && messageId !== "" ? await pipeline.storedItem(messageId) : undefined;
    process.stdout.write(`stored item: ${item ? JSON.stringify(item, null, 2) : "none"}\n`);
    process.exitCode = execution.status === "SUCCEEDED" ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

runCli(USAGE, () => main(process.argv.slice(2)));
