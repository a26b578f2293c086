/**
 * Monthly cost of the deployed design, from what the stack declares and what was measured. Pure functions:
 * every input is an argument, so the model is tested with numbers worked out by hand.
 */

export interface Prices {
  readonly date: string;
  readonly region: string;
  readonly eventbridge: { readonly customEventsPerMillion: number };
  readonly stepFunctionsStandard: { readonly perThousandStateTransitions: number };
  readonly stepFunctionsExpress: { readonly perMillionRequests: number; readonly perGbSecond: number; readonly minimumBilledMemoryMb: number; readonly billingIncrementMs: number };
  readonly lambda: { readonly perMillionRequests: number; readonly perGbSecondArm64: number; readonly perGbSecondX86_64: number; readonly billingIncrementMs: number };
  readonly dynamodbOnDemand: { readonly perMillionWriteRequestUnits: number };
  readonly cloudwatchLogs: { readonly ingestionPerGb: number; readonly storagePerGbMonth: number };
  readonly cloudwatchAlarms: { readonly perStandardAlarmMonth: number };
  readonly kms: { readonly perCustomerManagedKeyMonth: number; readonly perTenThousandRequests: number };
}

export interface DesignFacts {
  /** States entered by one successful execution, read from the ASL. */
  readonly stateTransitionsPerExecution: number;
  readonly lambdaMemoryMb: number;
  readonly lambdaArchitecture: "arm64" | "x86_64";
  /** Measured handler duration per record (bench:lambda). */
  readonly handlerDurationMs: number;
  /** Execution-history events logged per execution at level ALL. */
  readonly loggedEventsPerExecution: number;
  readonly includeExecutionData: boolean;
  readonly logRetentionInDays: number;
  /** The message as stored (JSON), which drives item and log sizes. */
  readonly messageBytes: number;
  /** Metric alarms in the stack: a fixed monthly cost. */
  readonly alarms: number;
  /** Customer-managed KMS keys in the stack (encryption = customer-managed): $1 a month each. */
  readonly customerManagedKeys: number;
  /** Resources encrypted with those keys; each one refreshes its data key (see KMS_DATA_KEY_REUSE_SECONDS). */
  readonly keyUsers: number;
}

export interface CostLine {
  readonly component: string;
  readonly monthlyUsd: number;
}

const GB = 1024 ** 3;
/** Size of one logged execution event before execution data (ids, timestamps, type, ARNs). */
const LOG_EVENT_OVERHEAD_BYTES = 350;
/** The recorder's own log lines per invocation: START/END/REPORT platform lines and one application line. */
const LAMBDA_LOG_BYTES_PER_INVOCATION = 4 * 300;
/** Extra time an Express execution spends around a synchronous invoke (scheduling, states), measured in AWS docs' examples. */
const EXPRESS_OVERHEAD_MS = 50;

/**
 * Every service here caches a data key for at most 5 minutes (Step Functions' kmsDataKeyReusePeriodSeconds is
 * set to 300; SQS's default reuse period and DynamoDB's and CloudWatch Logs' caches are about the same), then
 * calls GenerateDataKey and Decrypt again. Under continuous traffic that is a fixed number of requests per
 * encrypted resource, whatever the volume: an upper bound when traffic pauses.
 */
const KMS_DATA_KEY_REUSE_SECONDS = 300;
const KMS_REQUESTS_PER_REFRESH = 2;
const SECONDS_PER_MONTH = 30 * 24 * 3600;

/** The customer-managed key: $1 a month plus the data-key refreshes of every resource it encrypts. */
export function kmsMonthlyCost(facts: Pick<DesignFacts, "customerManagedKeys" | "keyUsers">, prices: Prices): number {
  if (facts.customerManagedKeys === 0) return 0;
  const requests = facts.keyUsers * KMS_REQUESTS_PER_REFRESH * (SECONDS_PER_MONTH / KMS_DATA_KEY_REUSE_SECONDS);
  return facts.customerManagedKeys * prices.kms.perCustomerManagedKeyMonth + (requests / 10_000) * prices.kms.perTenThousandRequests;
}

/** DynamoDB bills writes per started KB. */
export function writeUnitsPerItem(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

function billedMs(durationMs: number, incrementMs: number): number {
  return Math.ceil(durationMs / incrementMs) * incrementMs;
}

function logIngestion(bytesPerExecution: number, events: number, retentionDays: number, prices: Prices): number {
  const gb = (bytesPerExecution * events) / GB;
  // Stored volume averages out to one retention period's worth (capped at a month) of ingestion.
  const storedMonths = retentionDays === 0 ? 12 : Math.min(retentionDays, 30) / 30;
  return gb * prices.cloudwatchLogs.ingestionPerGb + gb * storedMonths * prices.cloudwatchLogs.storagePerGbMonth;
}

/** The deployed design: STANDARD state machine, Lambda answering a task token. */
export function standardCallbackCost(events: number, facts: DesignFacts, prices: Prices): CostLine[] {
  const millions = events / 1e6;
  const gbSecondPrice = facts.lambdaArchitecture === "arm64" ? prices.lambda.perGbSecondArm64 : prices.lambda.perGbSecondX86_64;
  const lambdaGbSeconds = (billedMs(facts.handlerDurationMs, prices.lambda.billingIncrementMs) / 1000) * (facts.lambdaMemoryMb / 1024);
  const executionData = facts.includeExecutionData ? facts.messageBytes * 2 : 0;
  const stateLogBytes = facts.loggedEventsPerExecution * (LOG_EVENT_OVERHEAD_BYTES + executionData);
  return [
    { component: "EventBridge custom events", monthlyUsd: millions * prices.eventbridge.customEventsPerMillion },
    { component: "Step Functions state transitions", monthlyUsd: (events * facts.stateTransitionsPerExecution / 1000) * prices.stepFunctionsStandard.perThousandStateTransitions },
    { component: "Lambda requests + duration", monthlyUsd: millions * prices.lambda.perMillionRequests + events * lambdaGbSeconds * gbSecondPrice },
    { component: "DynamoDB writes", monthlyUsd: millions * writeUnitsPerItem(facts.messageBytes + 100) * prices.dynamodbOnDemand.perMillionWriteRequestUnits },
    { component: "CloudWatch Logs (state machine + Lambda)", monthlyUsd: logIngestion(stateLogBytes + LAMBDA_LOG_BYTES_PER_INVOCATION, events, facts.logRetentionInDays, prices) },
    { component: "CloudWatch alarms (fixed)", monthlyUsd: facts.alarms * prices.cloudwatchAlarms.perStandardAlarmMonth },
    { component: "KMS key + data-key requests (fixed)", monthlyUsd: kmsMonthlyCost(facts, prices) },
  ];
}

/**
 * The same pipeline as an EXPRESS workflow invoking the Lambda synchronously (request-response): no callback,
 * no per-transition charge, but per-request and duration charges for the execution.
 */
export function expressSyncCost(events: number, facts: DesignFacts, prices: Prices): CostLine[] {
  const millions = events / 1e6;
  const express = prices.stepFunctionsExpress;
  const executionMs = billedMs(facts.handlerDurationMs + EXPRESS_OVERHEAD_MS, express.billingIncrementMs);
  const expressGbSeconds = (executionMs / 1000) * (express.minimumBilledMemoryMb / 1024);
  const standard = standardCallbackCost(events, facts, prices);
  const same = (component: string) => standard.find((line) => line.component === component)!;
  return [
    same("EventBridge custom events"),
    { component: "Step Functions Express requests + duration", monthlyUsd: millions * express.perMillionRequests + events * expressGbSeconds * express.perGbSecond },
    same("Lambda requests + duration"),
    same("DynamoDB writes"),
    same("CloudWatch Logs (state machine + Lambda)"),
    same("CloudWatch alarms (fixed)"),
    same("KMS key + data-key requests (fixed)"),
  ];
}

export function total(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.monthlyUsd, 0);
}

type AslDefinition = { StartAt: string; States: Record<string, { Type: string; Next?: string; End?: boolean; Choices?: Array<{ Next: string }> }> };

/** Types of the states entered on the success path: StartAt, then Next, a Choice's first rule, until an end. */
export function successPathStateTypes(definition: AslDefinition): string[] {
  const types: string[] = [];
  let name: string | undefined = definition.StartAt;
  const seen = new Set<string>();
  while (name) {
    if (seen.has(name)) throw new Error(`the success path loops at ${name}`);
    seen.add(name);
    const state: AslDefinition["States"][string] | undefined = definition.States[name];
    if (!state) throw new Error(`state ${name} is not defined`);
    types.push(state.Type);
    if (state.Type === "Succeed" || state.Type === "Fail" || state.End) break;
    name = state.Type === "Choice" ? state.Choices?.[0]?.Next : state.Next;
  }
  return types;
}

/** States entered on the success path, each one a billed transition on a STANDARD workflow. */
export function successPathTransitions(definition: AslDefinition): number {
  return successPathStateTypes(definition).length;
}
