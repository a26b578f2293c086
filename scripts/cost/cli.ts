import { readFileSync } from "node:fs";
import * as path from "node:path";
import { synthesizeFirstEnvironment } from "../local/synth";
import { designFactsFromStack, loadLambdaBench, loadPrices } from "./facts";
import { formatCostReport, scenarioOptions } from "./report";

/**
 * npm run cost -- --events-per-month N [--message-bytes B] [--stack-dir <synthesized stack folder>]
 *
 * Prints the monthly cost of the synthesized design (STANDARD, at its log level) next to the same pipeline as an
 * EXPRESS workflow with a synchronous Lambda invoke, at log levels ERROR and ALL, with the unit prices used (scripts/cost/prices.json) and the measured handler
 * duration (scripts/bench/results/lambda.json, written by npm run bench:lambda).
 */
const USAGE = "usage: npm run cost -- --events-per-month N [--message-bytes B] [--api-share F] [--failure-rate F] [--stack-dir <synthesized stack folder>]";

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv: string[]): number {
  const events = Number(option(argv, "--events-per-month"));
  const messageBytes = Number(option(argv, "--message-bytes") ?? 100);
  if (!Number.isInteger(events) || events < 1 || !Number.isInteger(messageBytes) || messageBytes < 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const scenario = scenarioOptions(argv);
  if (typeof scenario === "string") {
    process.stderr.write(`${scenario}\n${USAGE}\n`);
    return 2;
  }
  const stackDir = option(argv, "--stack-dir") ? path.resolve(option(argv, "--stack-dir")!) : synthesizeFirstEnvironment();
  const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  const prices = loadPrices();
  const bench = loadLambdaBench();
  const facts = designFactsFromStack(stack, bench.handlerMeanMs, messageBytes);
  process.stdout.write(`${formatCostReport(events, facts, prices, scenario)}\n`);
  process.stdout.write(`\ninputs: ${JSON.stringify(facts)}\n`);
  process.stdout.write(`unit prices: ${prices.region}, ${prices.date} (scripts/cost/prices.json); handler duration measured ${bench.date} on ${bench.machine}\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
