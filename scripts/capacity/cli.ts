import { readFileSync } from "node:fs";
import * as path from "node:path";
import { loadLambdaBench } from "../cost/facts";
import { synthesizeFirstEnvironment } from "../synthesized/synth";
import { CapacityStack, loadLimits, pathFactsFromStack } from "./facts";
import { defineCli, HelpRequested, oneOf, UsageError, wholeNumber } from "../cli/args";
import {
  BurstOutcome,
  firstThrottle,
  LimitsTable,
  limitsOnPath,
  longestBurstWithoutDeadLetter,
  PathFacts,
  regionValue,
  ResolvedLimit,
  simulateBurst,
  WorkflowType,
} from "./model";

const CLI = defineCli({
  command: "npm run capacity --",
  summary:
    "Lists each documented limit on the event path of the synthesized stack (scripts/capacity/limits.json: default quotas with the page " +
    "and the date each was read), for STANDARD and EXPRESS side by side; names the first limit N events per second hits; and simulates a " +
    "burst of N events per second lasting S seconds against the StartExecution token bucket and the rule target's retry policy: how many " +
    "start at once, how many EventBridge's retries absorb, how many reach the dead-letter queue, and how long such a burst can last before " +
    "the first dead-letter. The last line says whether EXPRESS sustains 20x STANDARD's rate.",
  options: {
    "events-per-second": { value: "N", description: "the event rate, a whole number", required: true, example: "1000" },
    region: { value: "R", description: "a region limits.json documents", default: "the stack's region" },
    "burst-seconds": { value: "S", description: "the length of the burst, a whole number of seconds", default: "60" },
    "workflow-type": { value: "T", description: "the type to headline: standard or express", default: "the stack's" },
    "stack-dir": { value: "DIR", description: "a synthesized stack folder to read", default: "the first environment, synthesized now" },
  },
  examples: ["npm run capacity -- --events-per-second 1000", "npm run capacity -- --events-per-second 50 --burst-seconds 300"],
});
export const USAGE = CLI.usage;

export interface CapacityOptions {
  readonly eventsPerSecond: number;
  readonly region?: string;
  readonly burstSeconds: number;
  readonly workflowType?: WorkflowType;
  readonly stackDir?: string;
}

/** Parses and validates the arguments; every refusal is a UsageError naming the option and what it allows. */
export function parseCapacityArgs(argv: readonly string[], regions: readonly string[]): CapacityOptions {
  const args = CLI.parse(argv);
  const region = args.string("region");
  return {
    eventsPerSecond: wholeNumber("--events-per-second", args.string("events-per-second")),
    burstSeconds: args.has("burst-seconds") ? wholeNumber("--burst-seconds", args.string("burst-seconds")) : 60,
    region: region === undefined ? undefined : oneOf("--region", region, regions),
    workflowType: args.has("workflow-type")
      ? oneOf("--workflow-type", args.string("workflow-type"), ["standard", "express"] as const)
      : undefined,
    stackDir: args.string("stack-dir"),
  };
}

const count = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "unlimited");
const perSecond = (limit: ResolvedLimit) => (Number.isFinite(limit.eventsPerSecond) ? `${count(limit.eventsPerSecond)}/s` : "-");

function quota(limit: ResolvedLimit | undefined): string {
  if (!limit) return "not on path";
  const value = `${count(limit.rate)} ${limit.unit}`;
  return limit.bucket === undefined ? value : `${value}, bucket ${count(limit.bucket)}`;
}

export interface CapacityReport {
  readonly text: string;
  readonly standardFirst: ResolvedLimit;
  readonly expressFirst: ResolvedLimit;
  readonly ratio: number;
}

function burstFor(
  table: LimitsTable,
  facts: PathFacts,
  workflow: WorkflowType,
  rate: number,
  seconds: number,
): { outcome: BurstOutcome; longest: number } {
  const id = workflow === "standard" ? "startExecutionStandard" : "startExecutionExpress";
  const limit = table.limits[id];
  const input = {
    rate,
    bucket: regionValue(limit.bucket ?? {}, facts.region, `${limit.name} bucket`),
    refill: regionValue(limit.byRegion, facts.region, limit.name),
    retryAttempts: facts.retryAttempts,
    maxEventAgeSeconds: facts.maxEventAgeSeconds,
    backoff: table.eventBridgeRetry,
  };
  return { outcome: simulateBurst({ ...input, seconds }), longest: longestBurstWithoutDeadLetter(input) };
}

/** The whole report: limits side by side, the first throttle of each type, the ratio, and the burst. */
export function capacityReport(
  table: LimitsTable,
  facts: PathFacts,
  rate: number,
  burstSeconds: number,
  headline: WorkflowType,
): CapacityReport {
  const standard = limitsOnPath(table, facts, "standard");
  const express = limitsOnPath(table, facts, "express");
  // STANDARD's limits in path order, each EXPRESS-only one after the STANDARD limit it replaces.
  const ids = standard.flatMap((l) => (l.id === "startExecutionStandard" ? [l.id, "startExecutionExpress"] : [l.id]));
  const byId = (limits: ResolvedLimit[], id: string) => limits.find((l) => l.id === id);
  const rows = ids.map((id) => {
    const any = (byId(standard, id) ?? byId(express, id))!;
    const label = `${any.service} ${any.name}${any.path === "api" ? " (API only)" : ""}`;
    const used = Number.isFinite(any.eventsPerSecond) ? `${((rate / any.eventsPerSecond) * 100).toFixed(0)}%` : "-";
    const s = byId(standard, id);
    const e = byId(express, id);
    const events = (l?: ResolvedLimit) => (l ? perSecond(l) : "-");
    return `  ${label.padEnd(66)} ${quota(s).padEnd(34)} ${quota(e).padEnd(34)} ${events(s).padStart(9)} ${events(e).padStart(9)} ${used.padStart(6)}`;
  });
  const standardFirst = firstThrottle(standard);
  const expressFirst = firstThrottle(express);
  const expressFirstNewTable = firstThrottle(express, { includeInitial: true });
  const standardFirstNewTable = firstThrottle(standard, { includeInitial: true });
  const ratio = expressFirst.eventsPerSecond / standardFirst.eventsPerSecond;
  const ratioNewTable = expressFirstNewTable.eventsPerSecond / standardFirstNewTable.eventsPerSecond;
  const describe = (type: string, first: ResolvedLimit) =>
    rate > first.eventsPerSecond
      ? `  ${type}: ${first.service} ${first.name} at ${count(first.eventsPerSecond)} events/s (${count(rate)}/s is ${((rate / first.eventsPerSecond) * 100).toFixed(0)}% of it): ${first.whenExceeded}`
      : `  ${type}: none; the lowest is ${first.service} ${first.name} at ${count(first.eventsPerSecond)} events/s (${((rate / first.eventsPerSecond) * 100).toFixed(0)}% used)`;
  const burst = {
    standard: burstFor(table, facts, "standard", rate, burstSeconds),
    express: burstFor(table, facts, "express", rate, burstSeconds),
  };
  const cell = (f: (b: { outcome: BurstOutcome; longest: number }) => string) =>
    `${f(burst.standard).padStart(14)} ${f(burst.express).padStart(14)}`;
  const seconds = (n: number) => (Number.isFinite(n) ? `${count(n)} s` : "unlimited");
  const order = headline === "standard" ? (["STANDARD", standardFirst] as const) : (["EXPRESS", expressFirst] as const);
  const verdict = ratio >= 20 ? "meets the 20x target" : `does NOT reach the 20x target: the documented defaults give ${ratio.toFixed(1)}x`;
  const text = [
    `Capacity at ${count(rate)} events/s in ${facts.region} (${table.regions[facts.region] ?? ""}); the stack deploys ${facts.deployedWorkflowType.toUpperCase()}; limits read ${table.dateRead} (scripts/capacity/limits.json)`,
    "",
    `  ${"limit (documented default)".padEnd(66)} ${"STANDARD".padEnd(34)} ${"EXPRESS".padEnd(34)} ${"std ev/s".padStart(9)} ${"exp ev/s".padStart(9)} ${"used".padStart(6)}`,
    ...rows,
    "",
    `Per event: ${facts.stateTransitionsPerExecution} state transitions (STANDARD), ${facts.writeUnitsPerEvent} DynamoDB write unit, one Lambda invocation of ${facts.lambdaDurationMs} ms (measured locally by bench:lambda, a lower bound).`,
    `First limit ${count(rate)} events/s hits (${order[0]} is the headline type):`,
    describe("STANDARD", standardFirst),
    describe("EXPRESS", expressFirst),
    `  EXPRESS against STANDARD with a new on-demand table (4,000 writes/s until its traffic peak grows): ${ratioNewTable.toFixed(1)}x (${count(expressFirstNewTable.eventsPerSecond)} vs ${count(standardFirstNewTable.eventsPerSecond)} events/s).`,
    `  Through POST /messages, the first limit is ${firstThrottle(standard, { path: "api" }).name} at ${count(firstThrottle(standard, { path: "api" }).eventsPerSecond)} requests/s for both types.`,
    "",
    `Burst of ${count(rate)} events/s for ${count(burstSeconds)} s: StartExecution bucket (starts full), then the target's retry policy (${facts.retryAttempts} retries, max event age ${facts.maxEventAgeSeconds} s; delays assumed ${table.eventBridgeRetry.firstDelaySeconds} s doubling, see limits.json)`,
    `  ${"".padEnd(44)} ${"STANDARD".padStart(14)} ${"EXPRESS".padStart(14)}`,
    `  ${"events".padEnd(44)} ${cell((b) => count(b.outcome.events))}`,
    `  ${"started at once".padEnd(44)} ${cell((b) => count(b.outcome.startedFirstTry))}`,
    `  ${"  of which above the refill rate (bucket)".padEnd(44)} ${cell((b) => count(b.outcome.absorbedByBucket))}`,
    `  ${"started on an EventBridge retry".padEnd(44)} ${cell((b) => count(b.outcome.startedOnRetry))}`,
    `  ${"dead-lettered (DLQ)".padEnd(44)} ${cell((b) => count(b.outcome.deadLettered))}`,
    `  ${"first dead-letter in second".padEnd(44)} ${cell((b) => (b.outcome.firstDeadLetterSecond === undefined ? "none" : count(b.outcome.firstDeadLetterSecond)))}`,
    `  ${"longest burst at this rate with no DLQ".padEnd(44)} ${cell((b) => seconds(b.longest))}`,
    "",
    `EXPRESS sustains ${ratio.toFixed(1)}x the event rate of STANDARD before the first throttle on default quotas (${count(expressFirst.eventsPerSecond)} vs ${count(standardFirst.eventsPerSecond)} events/s): ${verdict}.`,
  ].join("\n");
  return { text, standardFirst, expressFirst, ratio };
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the CLI; returns the exit code (0, 2 for bad arguments, 1 for anything else). */
export function main(argv: readonly string[], io: Io): number {
  const table = loadLimits();
  let options: CapacityOptions;
  try {
    options = parseCapacityArgs(argv, Object.keys(table.regions));
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(`${CLI.help}\n`);
      return 0;
    }
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}; ${CLI.usage}\n`);
    return 2;
  }
  try {
    const stackDir = options.stackDir ? path.resolve(options.stackDir) : synthesizeFirstEnvironment();
    const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as CapacityStack;
    const facts = pathFactsFromStack(stack, loadLambdaBench().handlerMeanMs);
    const region = options.region ?? facts.region;
    if (!(region in table.regions)) {
      io.err(
        `the stack's region ${region} is not in scripts/capacity/limits.json; pass --region with one of ${Object.keys(table.regions).join(", ")}; ${CLI.usage}\n`,
      );
      return 2;
    }
    const report = capacityReport(
      table,
      { ...facts, region },
      options.eventsPerSecond,
      options.burstSeconds,
      options.workflowType ?? facts.deployedWorkflowType,
    );
    io.out(`${report.text}\n`);
    return 0;
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
}
