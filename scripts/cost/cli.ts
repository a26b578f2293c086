import * as path from "node:path";
import { readPipelineStack } from "../local/stack-json";
import { parseArgs, runCli, UsageError, wholeNumber } from "../ops/args";
import { designFactsFromStack, factsByWorkflowType, loadLambdaBench, loadPrices } from "./facts";
import { FactsByType, formatCostReport, scenarioOptions } from "./report";

/**
 * npm run cost -- --events-per-month N [--message-bytes B] [--stack-dir <synthesized stack folder>]
 *
 * Prints the monthly cost of the synthesized design (STANDARD, at its log level) next to the same pipeline as an
 * EXPRESS workflow with a synchronous Lambda invoke, at log levels ERROR and ALL, with the unit prices used
 * (scripts/cost/prices.json) and the measured handler duration (scripts/cost/handler-duration.json, from
 * npm run bench:lambda -- --save). Each type's columns come from the first environment synthesized as that type,
 * with its defaults; --stack-dir prices one synthesized stack's own settings under both (so a STANDARD stack's
 * X-Ray and INFO logging show in its EXPRESS columns too).
 */
const USAGE =
  "usage: npm run cost -- --events-per-month N [--message-bytes B] [--api-share F] [--failure-rate F] [--stack-dir <synthesized stack folder>]";

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ["--events-per-month", "--message-bytes", "--api-share", "--failure-rate", "--stack-dir"]);
  if (args["events-per-month"] === undefined) throw new UsageError("--events-per-month is required");
  const events = wholeNumber("--events-per-month", args["events-per-month"]);
  const messageBytes = args["message-bytes"] === undefined ? 100 : wholeNumber("--message-bytes", args["message-bytes"]);
  const scenario = scenarioOptions(argv);
  if (typeof scenario === "string") throw new UsageError(scenario);
  const prices = loadPrices();
  const bench = loadLambdaBench();
  let facts: FactsByType;
  if (typeof args["stack-dir"] === "string") {
    // One given stack: its own settings (tracing, log levels) priced under both workflow types, where the default
    // path prices each type with that type's defaults.
    const given = designFactsFromStack(readPipelineStack(path.resolve(args["stack-dir"])), bench.handlerMeanMs, messageBytes);
    facts = { standard: given, express: given };
  } else {
    // The synth is loaded only when needed: bad arguments are answered without it.
    const { synthesizeFirstEnvironment } = await import("../local/synth");
    facts = factsByWorkflowType(synthesizeFirstEnvironment, process.env, bench.handlerMeanMs, messageBytes);
  }
  process.stdout.write(`${formatCostReport(events, facts, prices, scenario)}\n`);
  process.stdout.write(`\ninputs, STANDARD: ${JSON.stringify(facts.standard)}\ninputs, EXPRESS: ${JSON.stringify(facts.express)}\n`);
  process.stdout.write(
    `unit prices: ${prices.region}, ${prices.date} (scripts/cost/prices.json); handler duration measured ${bench.date} on ${bench.machine}\n`,
  );
}

if (require.main === module) runCli(USAGE, () => main(process.argv.slice(2)));
