import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../stacks/config";
import "./node-compat";
import { LocalPipeline } from "./pipeline";
import { synthesizeFirstEnvironment } from "./synth";

/**
 * npm run local -- <event.json> [--stack-dir cdktf.out/stacks/<stack>]
 *
 * Runs one event through the offline pipeline and prints the state transitions and the stored item. Without
 * --stack-dir it synthesizes the first configured environment into a temporary folder first, so what runs is
 * what `cdktf synth` would produce now.
 */
const USAGE = "usage: npm run local -- <event.json> [--stack-dir <synthesized stack folder>]";

async function main(argv: string[]): Promise<number> {
  const stackDirIndex = argv.indexOf("--stack-dir");
  const stackDirArg = stackDirIndex >= 0 ? argv[stackDirIndex + 1] : undefined;
  const positional = stackDirIndex >= 0 ? argv.filter((_, i) => i !== stackDirIndex && i !== stackDirIndex + 1) : argv;
  if (positional.length !== 1 || (stackDirIndex >= 0 && !stackDirArg)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const eventFile = positional[0];
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(eventFile, "utf8"));
  } catch (error) {
    process.stderr.write(`cannot read the event from ${eventFile}: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const stackDir = stackDirArg ? path.resolve(stackDirArg) : synthesizeFirstEnvironment();
  if (!existsSync(path.join(stackDir, "cdk.tf.json"))) {
    process.stderr.write(`${stackDir} holds no cdk.tf.json: is it a synthesized stack folder?\n`);
    return 2;
  }

  const pipeline = await LocalPipeline.start({ stackDir });
  try {
    process.stdout.write(`stack: ${stackDir}\n`);
    const result = await pipeline.publish(event);
    if (!result.matched) {
      process.stdout.write(`the rule did not match: no execution started\n`);
      return 0;
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
    const messageId = (event as { id?: unknown }).id;
    const item = typeof messageId === "string" ? await pipeline.storedItem(messageId) : undefined;
    process.stdout.write(`stored item: ${item ? JSON.stringify(item, null, 2) : "none"}\n`);
    return execution.status === "SUCCEEDED" ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}


process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(error instanceof ConfigError ? `Invalid configuration: ${error.message}\n` : `${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
