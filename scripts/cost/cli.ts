import * as path from "node:path";
import { readPipelineStack } from "../synthesized/stack-json";
import { defineCli, runCli, share, wholeNumber } from "../cli/args";
import { designFactsFromStack, factsByWorkflowType, loadLambdaBench, loadPrices, stackRegion } from "./facts";
import { DEFAULT_API_SHARE, DEFAULT_FAILURE_RATE, Prices } from "./model";
import { FactsByType, formatCostReport } from "./report";

/**
 * npm run cost -- --events-per-month N [--message-bytes B] [--api-share F] [--failure-rate F] [--stack-dir DIR]
 *
 * Prints the monthly cost of the synthesized design (STANDARD, at its log level) next to the same pipeline as an
 * EXPRESS workflow with a synchronous Lambda invoke, at log levels ERROR and ALL, with the unit prices used
 * (scripts/cost/prices.json) and the measured handler duration (scripts/cost/handler-duration.json, from
 * npm run bench:lambda -- --save). Each type's columns come from the first environment synthesized as that type,
 * with its defaults; --stack-dir prices one synthesized stack's own settings under both (so a STANDARD stack's
 * X-Ray and INFO logging show in its EXPRESS columns too). The last line says whether EXPRESS meets its target.
 */
const CLI = defineCli({
  command: "npm run cost --",
  summary:
    "Prices a month of the synthesized pipeline: STANDARD with the callback at its log level, next to EXPRESS with a synchronous " +
    "invoke at log levels ERROR and ALL, component by component, with the inputs and unit prices used. The last line says whether " +
    "EXPRESS at ERROR meets the target of $3 per million events.",
  options: {
    "events-per-month": { value: "N", description: "events published in a month, a whole number", required: true, example: "1000000" },
    "message-bytes": { value: "B", description: "the size of a message as stored, in bytes", default: "100" },
    "api-share": {
      value: "F",
      description: "the share of events that come through POST /messages, from 0 to 1",
      default: String(DEFAULT_API_SHARE),
    },
    "failure-rate": {
      value: "F",
      description: "the share of events that fail and are kept for redrive, from 0 to 1",
      default: String(DEFAULT_FAILURE_RATE),
    },
    "stack-dir": {
      value: "DIR",
      description: "a synthesized pipeline stack whose own settings to price under both workflow types",
      default: "the first configured environment, synthesized as each type",
    },
  },
  examples: ["npm run cost -- --events-per-month 1000000", "npm run cost -- --events-per-month 50000000 --api-share 0.25"],
});

async function main(argv: string[]): Promise<void> {
  const args = CLI.parse(argv);
  const events = wholeNumber("--events-per-month", args.string("events-per-month"));
  const messageBytes = args.has("message-bytes") ? wholeNumber("--message-bytes", args.string("message-bytes")) : 100;
  const scenario = {
    apiShare: args.has("api-share") ? share("--api-share", args.string("api-share")) : DEFAULT_API_SHARE,
    failureRate: args.has("failure-rate") ? share("--failure-rate", args.string("failure-rate")) : DEFAULT_FAILURE_RATE,
  };
  const prices = loadPrices();
  const bench = loadLambdaBench();
  let facts: FactsByType;
  let region: string | undefined;
  const stackDir = args.string("stack-dir");
  if (stackDir !== undefined) {
    // One given stack: its own settings (tracing, log levels) priced under both workflow types, where the default
    // path prices each type with that type's defaults.
    const stack = readPipelineStack(path.resolve(stackDir));
    const given = designFactsFromStack(stack, bench.handlerMeanMs, messageBytes);
    facts = { standard: given, express: given };
    region = stackRegion(stack);
  } else {
    // The synth and the configuration are loaded only when needed: bad arguments are answered without them.
    const [{ synthesizeFirstEnvironment }, { loadProjectConfig }] = await Promise.all([
      import("../synthesized/synth"),
      import("../project-config"),
    ]);
    facts = factsByWorkflowType(synthesizeFirstEnvironment, process.env, bench.handlerMeanMs, messageBytes);
    region = loadProjectConfig().environments[0]?.region;
  }
  const context = [
    "",
    `inputs, STANDARD: ${JSON.stringify(facts.standard)}`,
    `inputs, EXPRESS: ${JSON.stringify(facts.express)}`,
    pricesLine(prices, region),
    `handler duration measured ${bench.date} on ${bench.machine}`,
  ];
  process.stdout.write(`${formatCostReport(events, facts, prices, scenario, context)}\n`);
}

/** Which region's list prices were used, and whether the stack deploys somewhere else. */
export function pricesLine(prices: Prices, region: string | undefined): string {
  const used = `unit prices: ${prices.region} list prices of ${prices.date} (scripts/cost/prices.json)`;
  if (region === undefined || region === prices.region) return used;
  return `${used}; the stack deploys to ${region}, whose prices differ from ${prices.region}'s (check https://aws.amazon.com/pricing/ for ${region})`;
}

if (require.main === module) runCli(CLI, () => main(process.argv.slice(2)));
