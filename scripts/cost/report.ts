import { CostLine, DesignFacts, expressSyncCost, isFixed, perMillionEvents, Prices, Scenario, standardCallbackCost, total } from "./model";

/** The target for EXPRESS at ERROR logging, per million events. */
export const EXPRESS_ERROR_TARGET_PER_MILLION = 3;

export type ScenarioOptions = Pick<Scenario, "apiShare" | "failureRate">;

/** Rows that line up across workflow types (the Step Functions and log lines are named after the type and level). */
function rowLabel(line: CostLine): string {
  if (line.component.startsWith("Step Functions")) return "Step Functions (transitions | Express requests)";
  if (line.component.startsWith("CloudWatch Logs")) return "CloudWatch Logs (state machine + Lambda)";
  return line.component;
}

export interface CostColumns {
  readonly standardAll: CostLine[];
  readonly expressError: CostLine[];
  readonly expressAll: CostLine[];
}

/**
 * The stack as each workflow type deploys it: the types differ in more than the workflow (EXPRESS defaults to
 * logging ERROR, no X-Ray and the recorder at WARN), so each column is priced from its own synthesized stack.
 */
export interface FactsByType {
  readonly standard: DesignFacts;
  readonly express: DesignFacts;
  /** Why a column is priced from the other type's stack, when it is. */
  readonly note?: string;
}

export function costColumns(events: number, facts: FactsByType, prices: Prices, options: ScenarioOptions): CostColumns {
  return {
    standardAll: standardCallbackCost(events, facts.standard, prices, { ...options, logLevel: facts.standard.logLevel }),
    expressError: expressSyncCost(events, facts.express, prices, { ...options, logLevel: "ERROR" }),
    expressAll: expressSyncCost(events, facts.express, prices, { ...options, logLevel: "ALL" }),
  };
}

/**
 * npm run cost's report: the deployed STANDARD design at its log level next to EXPRESS at ERROR and at ALL, then
 * `context` (the inputs and prices used), and last the line that says whether EXPRESS meets its target.
 */
export function formatCostReport(
  events: number,
  byType: FactsByType,
  prices: Prices,
  options: ScenarioOptions,
  context: readonly string[] = [],
): string {
  const columns = costColumns(events, byType, prices, options);
  const facts = byType.standard;
  const usd = (n: number) => `$${n.toFixed(2)}`.padStart(14);
  const order = [columns.standardAll, columns.expressError, columns.expressAll];
  const rows = columns.standardAll.map(
    (line, i) => `  ${rowLabel(line).padEnd(48)} ${order.map((lines) => usd(lines[i].monthlyUsd)).join(" ")}`,
  );
  const driver = [...columns.standardAll].sort((a, b) => b.monthlyUsd - a.monthlyUsd)[0];
  const expressPerMillion = perMillionEvents(columns.expressError, events);
  const withApi = costColumns(events, byType, prices, { ...options, apiShare: 1 });
  const fixed = total(columns.expressError.filter(isFixed));
  const target = `the target of at most $${EXPRESS_ERROR_TARGET_PER_MILLION.toFixed(2)}`;
  const otherTracing = perMillionEvents(
    expressSyncCost(events, { ...byType.express, tracing: !byType.express.tracing }, prices, { ...options, logLevel: "ERROR" }),
    events,
  );
  const verdict =
    `${expressPerMillion <= EXPRESS_ERROR_TARGET_PER_MILLION ? "meets" : "does NOT meet"} ${target}; ` +
    `with tracing: ${!byType.express.tracing} it is $${otherTracing.toFixed(2)}`;
  return [
    `${events.toLocaleString("en-US")} events per month; ${(options.apiShare * 100).toFixed(0)}% through POST /messages (--api-share), ${(options.failureRate * 100).toFixed(1)}% failing (--failure-rate)`,
    `  ${"component".padEnd(48)} ${`STANDARD/${facts.logLevel}`.padStart(14)} ${"EXPRESS/ERROR".padStart(14)} ${"EXPRESS/ALL".padStart(14)}`,
    ...rows,
    `  ${"total".padEnd(48)} ${order.map((lines) => usd(total(lines))).join(" ")}`,
    `  ${"per million events (without the fixed lines)".padEnd(48)} ${order.map((lines) => usd(perMillionEvents(lines, events))).join(" ")}`,
    `  biggest cost driver of STANDARD/${facts.logLevel}: ${driver.component} (${((driver.monthlyUsd / total(columns.standardAll)) * 100).toFixed(0)}% of the total)`,
    `  if every event came through POST /messages: STANDARD/${facts.logLevel} $${total(withApi.standardAll).toFixed(2)}, EXPRESS/ERROR $${total(withApi.expressError).toFixed(2)} (REST requests and access logs added)`,
    ...(byType.note ? [`  note: ${byType.note}`] : []),
    ...context,
    `EXPRESS at ERROR: $${expressPerMillion.toFixed(2)} per million events plus $${fixed.toFixed(2)} a month fixed: ${verdict}`,
  ].join("\n");
}
