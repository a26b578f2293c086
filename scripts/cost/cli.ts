import * as path from "node:path";
import { readPipelineStack } from "../local/stack-json";
import { parseArgs, runCli, UsageError, wholeNumber } from "../ops/args";
import { designFactsFromStack, loadLambdaBench, loadPrices } from "./facts";
import { CostLine, expressSyncCost, standardCallbackCost, total } from "./model";

/**
 * npm run cost -- --events-per-month N [--message-bytes B] [--stack-dir <synthesized stack folder>]
 *
 * Prints the monthly cost of the synthesized design next to the same pipeline as an EXPRESS workflow with a
 * synchronous Lambda invoke, with the unit prices used (scripts/cost/prices.json) and the measured handler
 * duration (scripts/cost/handler-duration.json, from npm run bench:lambda -- --save).
 */
const USAGE = "usage: npm run cost -- --events-per-month N [--message-bytes B] [--stack-dir <synthesized stack folder>]";

export function formatComparison(events: number, standard: CostLine[], express: CostLine[]): string {
  const usd = (n: number) => `$${n.toFixed(2)}`.padStart(12);
  const rows = standard.map((line, i) => `  ${line.component.padEnd(44)} ${usd(line.monthlyUsd)}   ${express[i].component === line.component ? usd(express[i].monthlyUsd) : `${usd(express[i].monthlyUsd)}  (${express[i].component})`}`);
  const driver = [...standard].sort((a, b) => b.monthlyUsd - a.monthlyUsd)[0];
  return [
    `${events.toLocaleString("en-US")} events per month`,
    `  ${"component".padEnd(44)} ${"STANDARD+callback".padStart(12)}   ${"EXPRESS+sync".padStart(12)}`,
    ...rows,
    `  ${"total".padEnd(44)} ${usd(total(standard))}   ${usd(total(express))}`,
    `  biggest cost driver: ${driver.component} (${((driver.monthlyUsd / total(standard)) * 100).toFixed(0)}% of the total)`,
  ].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ["--events-per-month", "--message-bytes", "--stack-dir"]);
  if (args["events-per-month"] === undefined) throw new UsageError("--events-per-month is required");
  const events = wholeNumber("--events-per-month", args["events-per-month"]);
  const messageBytes = args["message-bytes"] === undefined ? 100 : wholeNumber("--message-bytes", args["message-bytes"]);
  // The synth is loaded only when needed: bad arguments are answered without it.
  const stackDir = typeof args["stack-dir"] === "string" ? path.resolve(args["stack-dir"]) : (await import("../local/synth")).synthesizeFirstEnvironment();
  const stack = readPipelineStack(stackDir);
  const prices = loadPrices();
  const bench = loadLambdaBench();
  const facts = designFactsFromStack(stack, bench.handlerMeanMs, messageBytes);
  process.stdout.write(`${formatComparison(events, standardCallbackCost(events, facts, prices), expressSyncCost(events, facts, prices))}\n`);
  process.stdout.write(`\ninputs: ${JSON.stringify(facts)}\n`);
  process.stdout.write(`unit prices: ${prices.region}, ${prices.date} (scripts/cost/prices.json); handler duration measured ${bench.date} on ${bench.machine}\n`);
}

if (require.main === module) runCli(USAGE, () => main(process.argv.slice(2)));
