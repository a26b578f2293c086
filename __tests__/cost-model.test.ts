import { designFactsFromStack, loadPrices } from "../scripts/cost/facts";
import { DesignFacts, expressSyncCost, kmsMonthlyCost, Prices, standardCallbackCost, successPathTransitions, total, writeUnitsPerItem } from "../scripts/cost/model";
import { recordMessageTemplate } from "../stacks/asl";
import { synthPipeline } from "./support/synth";

const prices: Prices = {
  date: "test", region: "us-east-1",
  eventbridge: { customEventsPerMillion: 1 },
  stepFunctionsStandard: { perThousandStateTransitions: 0.025 },
  stepFunctionsExpress: { perMillionRequests: 1, perGbSecond: 0.00001667, minimumBilledMemoryMb: 64, billingIncrementMs: 100 },
  lambda: { perMillionRequests: 0.2, perGbSecondArm64: 0.0000133334, perGbSecondX86_64: 0.0000166667, billingIncrementMs: 1 },
  dynamodbOnDemand: { perMillionWriteRequestUnits: 0.625 },
  cloudwatchLogs: { ingestionPerGb: 0.5, storagePerGbMonth: 0.03 },
  cloudwatchAlarms: { perStandardAlarmMonth: 0.1 },
  kms: { perCustomerManagedKeyMonth: 1, perTenThousandRequests: 0.03 },
};
const facts: DesignFacts = {
  stateTransitionsPerExecution: 3, lambdaMemoryMb: 256, lambdaArchitecture: "arm64", handlerDurationMs: 4.2,
  loggedEventsPerExecution: 12, includeExecutionData: true, logRetentionInDays: 7, messageBytes: 100, alarms: 12,
  customerManagedKeys: 1, keyUsers: 9,
};
const line = (lines: { component: string; monthlyUsd: number }[], component: string) => lines.find((l) => l.component === component)!.monthlyUsd;

describe("cost model", () => {
  test("the success path of the workflow enters 3 states", () => {
    expect(successPathTransitions(recordMessageTemplate as never)).toBe(3);
  });

  test("facts come from the synthesized stack: transitions, memory, architecture, logging", () => {
    const derived = designFactsFromStack(synthPipeline() as never, 4.2, 100);
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

  test("cost scales linearly with volume, apart from the fixed alarms ($1.20 for 12) and the key", () => {
    const variable = (events: number) => total(standardCallbackCost(events, facts, prices)) - 1.2 - kmsMonthlyCost(facts, prices);
    expect(line(standardCallbackCost(1e6, facts, prices), "CloudWatch alarms (fixed)")).toBeCloseTo(1.2, 6);
    expect(variable(1e8)).toBeCloseTo(100 * variable(1e6), 4);
  });

  test("the key costs $1 a month plus 2 requests per encrypted resource every 5 minutes: 9 resources, $1.47", () => {
    // 9 x 2 x (30 x 86400 / 300) = 155,520 requests at $0.03 per 10,000.
    expect(line(standardCallbackCost(1e6, facts, prices), "KMS key + data-key requests (fixed)")).toBeCloseTo(1 + 15.552 * 0.03, 6);
  });

  test("encryption = aws-managed has no key to pay for", () => {
    const managed = designFactsFromStack(synthPipeline({ env: { RECORDER_ENCRYPTION: "aws-managed" } }) as never, 4.2, 100);
    expect(managed).toMatchObject({ customerManagedKeys: 0, keyUsers: 0 });
    expect(kmsMonthlyCost(managed, prices)).toBe(0);
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
