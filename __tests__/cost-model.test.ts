import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { designFactsFromStack, factsByWorkflowType, loadPrices } from "../scripts/cost/facts";
import { temporaryDirectory } from "../scripts/temp-dir";
import {
  archiveMonthlyCost,
  costLines,
  DesignFacts,
  expressSyncCost,
  kmsMonthlyCost,
  loggedEventsPerExecution,
  perMillionEvents,
  Prices,
  standardCallbackCost,
  successPathTransitions,
  total,
  tracesRecorded,
  writeUnitsPerItem,
} from "../scripts/cost/model";
import { pricesLine } from "../scripts/cost/cli";
import { formatCostReport } from "../scripts/cost/report";
import { recordMessageTemplate } from "../stacks/asl";
import { synthPipeline } from "./support/synth";

const prices: Prices = {
  date: "test",
  region: "us-east-1",
  eventbridge: { customEventsPerMillion: 1 },
  stepFunctionsStandard: { perThousandStateTransitions: 0.025 },
  stepFunctionsExpress: { perMillionRequests: 1, perGbSecond: 0.00001667, minimumBilledMemoryMb: 64, billingIncrementMs: 100 },
  lambda: { perMillionRequests: 0.2, perGbSecondArm64: 0.0000133334, perGbSecondX86_64: 0.0000166667, billingIncrementMs: 1 },
  dynamodbOnDemand: { perMillionWriteRequestUnits: 0.625 },
  cloudwatchLogs: { ingestionPerGb: 0.5, storagePerGbMonth: 0.03 },
  cloudwatchAlarms: { perStandardAlarmMonth: 0.1 },
  kms: { perCustomerManagedKeyMonth: 1, perTenThousandRequests: 0.03 },
  xray: { perMillionTracesRecorded: 5, perMillionTracesRetrieved: 0.5 },
  apiGatewayRest: { perMillionRequests: 3.5 },
  sqs: { perMillionRequests: 0.4 },
  sns: { perMillionPublishes: 0.5, perHundredThousandEmails: 2 },
  eventbridgeArchive: { perGbArchived: 0.1, storagePerGbMonth: 0.023 },
};
const facts: DesignFacts = {
  stateTransitionsPerExecution: 3,
  lambdaMemoryMb: 256,
  lambdaArchitecture: "arm64",
  handlerDurationMs: 4.2,
  includeExecutionData: true,
  logRetentionInDays: 7,
  messageBytes: 100,
  alarms: 14,
  customerManagedKeys: 1,
  keyUsers: 10,
  tasksPerExecution: 1,
  logLevel: "ALL",
  tracing: true,
  alarmEmailSubscriptions: 0,
  lambdaLogLinesPerInvocation: 1,
  archiveRetentionDays: 7,
};
/** The same stack synthesized with workflowType express: a guard Choice and a Pass more on the success path; its defaults log ERROR, trace nothing, and keep the recorder at WARN. */
const expressFacts: DesignFacts = {
  ...facts,
  alarms: 12,
  stateTransitionsPerExecution: 5,
  logLevel: "ERROR",
  tracing: false,
  lambdaLogLinesPerInvocation: 0,
};
/** What npm run cost hands factsByWorkflowType: a folder holding the first environment's synthesized stack. */
const synthesizeToDir = (env: NodeJS.ProcessEnv): string => {
  const dir = temporaryDirectory("cost-facts");
  writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(synthPipeline({ env })));
  return dir;
};
const GB = 1024 ** 3;
/** Ingestion at $0.50 per GB plus a week's storage (7/30 of a month at $0.03 per GB-month). */
const logCost = (bytes: number) => (bytes / GB) * (0.5 + 0.03 * (7 / 30));
const line = (lines: { component: string; monthlyUsd: number }[], component: string) =>
  lines.find((l) => l.component === component)!.monthlyUsd;

describe("cost model", () => {
  test("the success path of the workflow enters 3 states", () => {
    expect(successPathTransitions(recordMessageTemplate as never)).toBe(3);
  });

  test("facts come from the synthesized stack: transitions, memory, architecture, logging, tracing, the recorder's log levels", () => {
    const derived = designFactsFromStack(synthPipeline(), 4.2, 100);
    expect(derived).toEqual(facts);
  });

  test("1M events: $75 of state transitions (3 x 1M / 1000 x $0.025) and $1 of events", () => {
    const lines = standardCallbackCost(1e6, facts, prices);
    expect(line(lines, "Step Functions state transitions")).toBeCloseTo(75, 6);
    expect(line(lines, "EventBridge custom events")).toBeCloseTo(1, 6);
    expect(line(lines, "DynamoDB writes")).toBeCloseTo(0.625, 6);
  });

  test("Lambda: requests plus 5 ms billed at 0.25 GB on arm64", () => {
    const expected = 0.2 + 1e6 * 0.005 * 0.25 * 0.0000133334;
    expect(line(standardCallbackCost(1e6, facts, prices), "Lambda requests + duration")).toBeCloseTo(expected, 6);
  });

  test("Express: per request plus 100 ms increments at the 64 MB minimum, instead of transitions", () => {
    const expected = 1 + 1e6 * 0.1 * (64 / 1024) * 0.00001667;
    expect(line(expressSyncCost(1e6, facts, prices), "Step Functions Express requests + duration")).toBeCloseTo(expected, 6);
    expect(total(expressSyncCost(1e6, facts, prices))).toBeLessThan(total(standardCallbackCost(1e6, facts, prices)));
  });

  test("the archive: each event's bytes archived once ($0.10/GB) and held for its retention ($0.023 per GB-month)", () => {
    // 1M events of 100 + 300 bytes = 0.4 GB a month: $0.04 to archive, and 0.4 GB x 7/30 months x $0.023 held.
    expect(archiveMonthlyCost(1e6, facts, prices)).toBeCloseTo(0.04 + 0.4 * (7 / 30) * 0.023, 9);
    expect(archiveMonthlyCost(1e6, { ...facts, archiveRetentionDays: 0 }, prices)).toBeCloseTo(0.04 + 0.4 * (365 / 30) * 0.023, 9);
    const { archiveRetentionDays: _none, ...withoutArchive } = facts;
    expect(archiveMonthlyCost(1e6, withoutArchive, prices)).toBe(0);
    expect(line(standardCallbackCost(1e6, facts, prices), "EventBridge archive (7 days)")).toBeCloseTo(
      archiveMonthlyCost(1e6, facts, prices),
      9,
    );
  });

  test("cost scales linearly with volume, apart from the fixed alarms ($1.40 for 14), the key and X-Ray's sampling", () => {
    const untraced = { ...facts, tracing: false };
    const variable = (events: number) => total(standardCallbackCost(events, untraced, prices)) - 1.4 - kmsMonthlyCost(facts, prices);
    expect(line(standardCallbackCost(1e6, facts, prices), "CloudWatch alarms (fixed)")).toBeCloseTo(1.4, 6);
    expect(variable(1e8)).toBeCloseTo(100 * variable(1e6), 4);
  });

  test("the key costs $1 a month plus 2 requests per encrypted resource every 5 minutes: 10 resources, $1.52", () => {
    // 10 x 2 x (30 x 86400 / 300) = 172,800 requests at $0.03 per 10,000.
    expect(line(standardCallbackCost(1e6, facts, prices), "KMS key + data-key requests (fixed)")).toBeCloseTo(1 + 17.28 * 0.03, 6);
  });

  test("encryption = aws-managed has no key to pay for", () => {
    const managed = designFactsFromStack(synthPipeline({ env: { RECORDER_ENCRYPTION: "aws-managed" } }), 4.2, 100);
    expect(managed).toMatchObject({ customerManagedKeys: 0, keyUsers: 0 });
    expect(kmsMonthlyCost(managed, prices)).toBe(0);
  });

  test("X-Ray records every event up to one a second, then 5%: 1M a month is 1M traces ($5.50), 100M is 7,462,400 ($41.04)", () => {
    // A 30-day month has 2,592,000 seconds: the reservoir records 2,592,000 traces, then 5% of the rest:
    // 100M: 2,592,000 + 0.05 x 97,408,000 = 7,462,400 traces, recorded at $5 and retrieved at $0.50 per million.
    expect(tracesRecorded(1e6)).toBe(1e6);
    expect(tracesRecorded(1e8)).toBeCloseTo(7_462_400, 6);
    expect(line(expressSyncCost(1e6, facts, prices), "X-Ray traces recorded + retrieved")).toBeCloseTo(5.5, 9);
    expect(line(expressSyncCost(1e8, facts, prices), "X-Ray traces recorded + retrieved")).toBeCloseTo(7.4624 * 5.5, 9);
  });

  test("tracing: false has no X-Ray cost", () => {
    expect(line(expressSyncCost(1e6, { ...facts, tracing: false }, prices), "X-Ray traces recorded + retrieved")).toBe(0);
  });

  test("logged history events per execution: 12 at ALL (2 + 2 x 3 states + 4 x 1 task); at ERROR 2 and at FATAL 1 per failed execution", () => {
    expect(loggedEventsPerExecution(facts, "ALL", 0.001)).toBe(12);
    expect(loggedEventsPerExecution(facts, "ERROR", 0.001)).toBeCloseTo(0.002, 12);
    expect(loggedEventsPerExecution(facts, "FATAL", 0.001)).toBeCloseTo(0.001, 12);
    expect(loggedEventsPerExecution(facts, "OFF", 0.001)).toBe(0);
  });

  test("logs: at ALL 12 x (350 + 2 x 100) bytes + one 300-byte Lambda line per event; at ERROR only the failed 0.1% log 2 events", () => {
    // ALL: 12 x 550 + 300 = 6,900 bytes per event. ERROR: 0.001 x 2 x 550 + 300 = 301.1 bytes per event.
    expect(line(standardCallbackCost(1e6, facts, prices), "CloudWatch Logs (state machine at ALL + Lambda)")).toBeCloseTo(
      logCost(6900e6),
      9,
    );
    expect(line(expressSyncCost(1e6, facts, prices), "CloudWatch Logs (state machine at ERROR + Lambda)")).toBeCloseTo(logCost(301.1e6), 9);
  });

  test("a quarter of 1M events through POST /messages: 250,000 REST requests at $3.50 per million, and their access logs", () => {
    const lines = costLines(1e6, facts, prices, { workflowType: "express", logLevel: "ERROR", apiShare: 0.25, failureRate: 0.001 });
    expect(line(lines, "API Gateway REST requests")).toBeCloseTo(0.875, 9);
    // 301.1 bytes as above, plus 0.25 x 400 bytes of access log per event.
    expect(line(lines, "CloudWatch Logs (state machine at ERROR + Lambda)")).toBeCloseTo(logCost(401.1e6), 9);
  });

  test("failures cost SQS and SNS requests: 1% of 1M is 30,000 SQS requests and 10,000 publishes ($0.017), e-mails $0.20 more", () => {
    // 10,000 failures x 3 requests x $0.40 per million = $0.012; 10,000 publishes x $0.50 per million = $0.005;
    // one e-mail subscription: 10,000 / 100,000 x $2 = $0.20.
    const scenario = { workflowType: "standard", logLevel: "ALL", apiShare: 0, failureRate: 0.01 } as const;
    expect(line(costLines(1e6, facts, prices, scenario), "SQS + SNS on failures")).toBeCloseTo(0.017, 9);
    expect(line(costLines(1e6, { ...facts, alarmEmailSubscriptions: 1 }, prices, scenario), "SQS + SNS on failures")).toBeCloseTo(0.217, 9);
  });

  test("an EXPRESS stack's facts: logs at ERROR, no X-Ray, and the recorder logs nothing on success", () => {
    const derived = designFactsFromStack(synthPipeline({ env: { RECORDER_WORKFLOW_TYPE: "express" } }), 4.2, 100);
    expect(derived).toEqual(expressFacts);
  });

  test("npm run cost prices each workflow type from the first environment synthesized as that type", () => {
    expect(factsByWorkflowType(synthesizeToDir, {}, 4.2, 100)).toEqual({ standard: facts, express: expressFacts });
  });

  test("a configuration valid for one workflow type only prices both columns from the other's stack, and says so", () => {
    const byType = factsByWorkflowType(synthesizeToDir, { RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "400" }, 4.2, 100);
    expect(byType.express).toBe(byType.standard);
    expect(byType.note).toMatch(
      /^EXPRESS priced with the STANDARD stack's settings, since this configuration is not valid for EXPRESS: stateMachineTimeoutSeconds \(dev\): 400 is not allowed/,
    );
    expect(formatCostReport(1e6, byType, prices, { apiShare: 0, failureRate: 0.001 })).toContain(`\n  note: ${byType.note}`);
  });

  test("EXPRESS at ERROR: $2.99 per million events, under the $3 target; X-Ray would add $5.50", () => {
    // EventBridge 1 + Express 1 + 1e6 x 0.1 s x 0.0625 GB x 0.00001667 (0.1041875) + Lambda 0.2 + 1e6 x 0.005 s x 0.25 GB
    // x 0.0000133334 (0.01666675) + DynamoDB 0.625 + logs: only the 0.1% failing, 2 events of 350 + 2 x 100 bytes each,
    // logCost(1e6 x 0.001 x 2 x 550) (0.000519) + SQS/SNS 1,000 x 3 x 0.4e-6 + 1,000 x 0.5e-6 (0.0017) + the 7-day
    // archive, 0.4 GB archived and held 7/30 of a month (0.04 + 0.00214667) = 2.9902.
    const expected = 1 + 1 + 0.1041875 + 0.2 + 0.01666675 + 0.625 + logCost(1e6 * 0.001 * 2 * 550) + 0.0017 + 0.04 + 0.4 * (7 / 30) * 0.023;
    expect(perMillionEvents(expressSyncCost(1e6, expressFacts, prices), 1e6)).toBeCloseTo(expected, 9);
    expect(perMillionEvents(expressSyncCost(1e6, { ...expressFacts, tracing: true }, prices), 1e6)).toBeCloseTo(expected + 5.5, 9);
    expect(expected).toBeCloseTo(2.9902, 4);
  });

  test("npm run cost prints STANDARD at ALL next to EXPRESS at ERROR and at ALL, and says whether EXPRESS meets $3", () => {
    const report = formatCostReport(1e6, { standard: facts, express: expressFacts }, prices, { apiShare: 0, failureRate: 0.001 });
    expect(report.split("\n")[1]).toMatch(/component\s+STANDARD\/ALL\s+EXPRESS\/ERROR\s+EXPRESS\/ALL$/);
    expect(report).toContain(
      "EXPRESS at ERROR: $2.99 per million events plus $2.72 a month fixed: meets the target of at most $3.00; with tracing: true it is $8.49",
    );
  });

  test("the verdict says when EXPRESS misses $3, as it does with X-Ray on", () => {
    const report = formatCostReport(1e6, { standard: facts, express: { ...expressFacts, tracing: true } }, prices, {
      apiShare: 0,
      failureRate: 0.001,
    });
    expect(report).toContain(
      "EXPRESS at ERROR: $8.49 per million events plus $2.72 a month fixed: does NOT meet the target of at most $3.00; with tracing: false it is $2.99",
    );
  });

  test("the goal line is the last line, after the inputs and prices it is given", () => {
    const report = formatCostReport(1e6, { standard: facts, express: expressFacts }, prices, { apiShare: 0, failureRate: 0.001 }, [
      "inputs ...",
    ]);
    const lines = report.split("\n");
    expect(lines.at(-2)).toBe("inputs ...");
    expect(lines.at(-1)).toMatch(/^EXPRESS at ERROR: \$2\.99 per million events .*: meets the target of at most \$3\.00/);
  });

  test("says which region's prices it used, and that they differ when the stack deploys elsewhere", () => {
    expect(pricesLine(prices, prices.region)).toBe(
      `unit prices: ${prices.region} list prices of ${prices.date} (scripts/cost/prices.json)`,
    );
    expect(pricesLine(prices, "eu-west-1")).toBe(
      `unit prices: ${prices.region} list prices of ${prices.date} (scripts/cost/prices.json); the stack deploys to eu-west-1, whose prices differ from ${prices.region}'s (check https://aws.amazon.com/pricing/ for eu-west-1)`,
    );
  });

  test("DynamoDB bills a write unit per started KB", () => {
    expect([writeUnitsPerItem(1), writeUnitsPerItem(1024), writeUnitsPerItem(1025)]).toEqual([1, 1, 2]);
  });

  test("the prices file is dated and has every price the model reads", () => {
    const file = loadPrices();
    expect(file.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(prices).filter((key) => !(key in file))).toEqual([]);
  });
});
