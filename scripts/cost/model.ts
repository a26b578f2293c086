/**
 * Monthly cost of the deployed design, from what the stack declares and what was measured. Pure functions:
 * every input is an argument, so the model is tested with numbers worked out by hand.
 */

export interface Prices {
  readonly date: string;
  readonly region: string;
  readonly eventbridge: { readonly customEventsPerMillion: number };
  readonly eventbridgeArchive: { readonly perGbArchived: number; readonly storagePerGbMonth: number };
  readonly stepFunctionsStandard: { readonly perThousandStateTransitions: number };
  readonly stepFunctionsExpress: {
    readonly perMillionRequests: number;
    readonly perGbSecond: number;
    readonly minimumBilledMemoryMb: number;
    readonly billingIncrementMs: number;
  };
  readonly lambda: {
    readonly perMillionRequests: number;
    readonly perGbSecondArm64: number;
    readonly perGbSecondX86_64: number;
    readonly billingIncrementMs: number;
  };
  readonly dynamodbOnDemand: { readonly perMillionWriteRequestUnits: number };
  readonly cloudwatchLogs: { readonly ingestionPerGb: number; readonly storagePerGbMonth: number };
  readonly cloudwatchAlarms: { readonly perStandardAlarmMonth: number };
  readonly kms: { readonly perCustomerManagedKeyMonth: number; readonly perTenThousandRequests: number };
  readonly xray: { readonly perMillionTracesRecorded: number; readonly perMillionTracesRetrieved: number };
  readonly apiGatewayRest: { readonly perMillionRequests: number };
  readonly sqs: { readonly perMillionRequests: number };
  readonly sns: { readonly perMillionPublishes: number; readonly perHundredThousandEmails: number };
}

/** Step Functions logging levels: ALL logs every history event; ERROR and FATAL only failed executions'. */
export type LogLevel = "ALL" | "ERROR" | "FATAL" | "OFF";
export type WorkflowType = "standard" | "express";

/** What is priced besides the stack: the workflow type and log level, where the events come from, how many fail. */
export interface Scenario {
  readonly workflowType: WorkflowType;
  readonly logLevel: LogLevel;
  /** Share of the events that arrive through POST /messages (the rest are PutEvents from producers), 0-1. */
  readonly apiShare: number;
  /** Share of the events whose execution fails and is captured, redriven and alarmed on, 0-1. */
  readonly failureRate: number;
}

export const DEFAULT_API_SHARE = 0;
export const DEFAULT_FAILURE_RATE = 0.001;

export interface DesignFacts {
  /** States entered by one successful execution, read from the ASL. */
  readonly stateTransitionsPerExecution: number;
  readonly lambdaMemoryMb: number;
  readonly lambdaArchitecture: "arm64" | "x86_64";
  /** Measured handler duration per record (bench:lambda). */
  readonly handlerDurationMs: number;
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
  /** Task states on the success path (each logs 4 more events at level ALL). */
  readonly tasksPerExecution: number;
  /** The logging level the stack sets on the state machine. */
  readonly logLevel: LogLevel;
  /** X-Ray tracing of the state machine and the function. */
  readonly tracing: boolean;
  /** E-mail subscriptions of the alarm topic. */
  readonly alarmEmailSubscriptions: number;
  /** Lines the recorder logs per successful invocation: its own, and START/END/REPORT unless system logs are at WARN or above. */
  readonly lambdaLogLinesPerInvocation: number;
  /** Days the bus archive keeps each event (0: for ever); absent: no archive. @default no archive */
  readonly archiveRetentionDays?: number;
}

/** What EventBridge adds around a message in an archived event (id, time, source, detail-type, account...). */
export const EVENT_ENVELOPE_BYTES = 300;

/**
 * The bus archive: each archived GB once, and the GB it holds in a steady month (a month's events times the
 * retention in months; for ever is priced as a year's worth, and grows each month after that).
 */
export function archiveMonthlyCost(events: number, facts: DesignFacts, prices: Prices): number {
  if (facts.archiveRetentionDays === undefined) return 0;
  const gbPerMonth = (events * (facts.messageBytes + EVENT_ENVELOPE_BYTES)) / 1e9;
  const retainedMonths = (facts.archiveRetentionDays === 0 ? 365 : facts.archiveRetentionDays) / 30;
  return gbPerMonth * prices.eventbridgeArchive.perGbArchived + gbPerMonth * retainedMonths * prices.eventbridgeArchive.storagePerGbMonth;
}

export interface CostLine {
  readonly component: string;
  readonly monthlyUsd: number;
}

const GB = 1024 ** 3;
/** Size of one logged execution event before execution data (ids, timestamps, type, ARNs). */
const LOG_EVENT_OVERHEAD_BYTES = 350;
/** One line of the recorder's log (JSON: time, level, request id, message, message id). */
const LAMBDA_LOG_LINE_BYTES = 300;
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

/**
 * X-Ray's default sampling rule records the first request each second and 5% of the others
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html); the state machine makes the
 * decision and the function joins its trace, so an event is at most one trace. Traffic is taken as even over
 * the month, and every recorded trace as retrieved once (the console's service map and trace list): an upper
 * bound for retrieval, which depends on who looks.
 */
const XRAY_RESERVOIR_PER_SECOND = 1;
const XRAY_FIXED_RATE = 0.05;
const XRAY_RETRIEVALS_PER_TRACE = 1;
/** Events a failed execution logs at level ERROR (the task's failure, the execution's) and FATAL (the execution's). */
const FAILED_EXECUTION_LOG_EVENTS: Record<LogLevel, number> = { ALL: 0, ERROR: 2, FATAL: 1, OFF: 0 };
/** SQS requests per failed event: EventBridge's SendMessage, then redrive's ReceiveMessage and DeleteMessage. */
const SQS_REQUESTS_PER_FAILURE = 3;
/** One API Gateway access-log line (the stack's JSON format with its 13 fields). */
const API_ACCESS_LOG_BYTES = 400;

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

/** Execution-history events logged per execution at a level (failed executions counted at their rate). */
export function loggedEventsPerExecution(
  facts: Pick<DesignFacts, "stateTransitionsPerExecution" | "tasksPerExecution">,
  level: LogLevel,
  failureRate: number,
): number {
  // At level ALL: execution started/ended, entered/exited per state, and scheduled/started/submitted/succeeded per task.
  if (level === "ALL") return 2 + 2 * facts.stateTransitionsPerExecution + 4 * facts.tasksPerExecution;
  return failureRate * FAILED_EXECUTION_LOG_EVENTS[level];
}

/** Traces X-Ray's default sampling rule records in a month of evenly spread events. */
export function tracesRecorded(events: number): number {
  const reservoir = XRAY_RESERVOIR_PER_SECOND * SECONDS_PER_MONTH;
  return Math.min(events, reservoir) + XRAY_FIXED_RATE * Math.max(events - reservoir, 0);
}

/** Monthly cost of every component the stack deploys, for one workflow type and log level. */
export function costLines(events: number, facts: DesignFacts, prices: Prices, scenario: Scenario): CostLine[] {
  const millions = events / 1e6;
  const gbSecondPrice = facts.lambdaArchitecture === "arm64" ? prices.lambda.perGbSecondArm64 : prices.lambda.perGbSecondX86_64;
  const lambdaGbSeconds = (billedMs(facts.handlerDurationMs, prices.lambda.billingIncrementMs) / 1000) * (facts.lambdaMemoryMb / 1024);
  const executionData = facts.includeExecutionData ? facts.messageBytes * 2 : 0;
  const stateLogBytes =
    loggedEventsPerExecution(facts, scenario.logLevel, scenario.failureRate) * (LOG_EVENT_OVERHEAD_BYTES + executionData);
  const logBytesPerEvent =
    stateLogBytes + facts.lambdaLogLinesPerInvocation * LAMBDA_LOG_LINE_BYTES + scenario.apiShare * API_ACCESS_LOG_BYTES;
  const express = prices.stepFunctionsExpress;
  const expressGbSeconds =
    (billedMs(facts.handlerDurationMs + EXPRESS_OVERHEAD_MS, express.billingIncrementMs) / 1000) * (express.minimumBilledMemoryMb / 1024);
  const failures = events * scenario.failureRate;
  const traces = facts.tracing ? tracesRecorded(events) : 0;
  return [
    { component: "EventBridge custom events", monthlyUsd: millions * prices.eventbridge.customEventsPerMillion },
    ...(facts.archiveRetentionDays !== undefined
      ? [
          {
            component: `EventBridge archive (${facts.archiveRetentionDays === 0 ? "kept for ever: a year's storage" : `${facts.archiveRetentionDays} days`})`,
            monthlyUsd: archiveMonthlyCost(events, facts, prices),
          },
        ]
      : []),
    { component: "API Gateway REST requests", monthlyUsd: millions * scenario.apiShare * prices.apiGatewayRest.perMillionRequests },
    scenario.workflowType === "standard"
      ? {
          component: "Step Functions state transitions",
          monthlyUsd: ((events * facts.stateTransitionsPerExecution) / 1000) * prices.stepFunctionsStandard.perThousandStateTransitions,
        }
      : {
          component: "Step Functions Express requests + duration",
          monthlyUsd: millions * express.perMillionRequests + events * expressGbSeconds * express.perGbSecond,
        },
    {
      component: "Lambda requests + duration",
      monthlyUsd: millions * prices.lambda.perMillionRequests + events * lambdaGbSeconds * gbSecondPrice,
    },
    {
      component: "DynamoDB writes",
      monthlyUsd: millions * writeUnitsPerItem(facts.messageBytes + 100) * prices.dynamodbOnDemand.perMillionWriteRequestUnits,
    },
    {
      component: `CloudWatch Logs (state machine at ${scenario.logLevel} + Lambda)`,
      monthlyUsd: logIngestion(logBytesPerEvent, events, facts.logRetentionInDays, prices),
    },
    {
      component: "X-Ray traces recorded + retrieved",
      monthlyUsd:
        (traces / 1e6) * (prices.xray.perMillionTracesRecorded + XRAY_RETRIEVALS_PER_TRACE * prices.xray.perMillionTracesRetrieved),
    },
    {
      component: "SQS + SNS on failures",
      monthlyUsd:
        ((failures * SQS_REQUESTS_PER_FAILURE) / 1e6) * prices.sqs.perMillionRequests +
        (failures / 1e6) * prices.sns.perMillionPublishes +
        ((failures * facts.alarmEmailSubscriptions) / 1e5) * prices.sns.perHundredThousandEmails,
    },
    { component: "CloudWatch alarms (fixed)", monthlyUsd: facts.alarms * prices.cloudwatchAlarms.perStandardAlarmMonth },
    { component: "KMS key + data-key requests (fixed)", monthlyUsd: kmsMonthlyCost(facts, prices) },
  ];
}

/** The deployed design: STANDARD state machine, Lambda answering a task token, logging at the stack's level. */
export function standardCallbackCost(events: number, facts: DesignFacts, prices: Prices, scenario: Partial<Scenario> = {}): CostLine[] {
  return costLines(events, facts, prices, {
    workflowType: "standard",
    logLevel: facts.logLevel,
    apiShare: DEFAULT_API_SHARE,
    failureRate: DEFAULT_FAILURE_RATE,
    ...scenario,
  });
}

/**
 * The same pipeline as an EXPRESS workflow invoking the Lambda synchronously (request-response): no callback,
 * no per-transition charge, but per-request and duration charges; it logs at level ERROR by default, since at
 * ALL its logs, its only history, cost more than the rest together.
 */
export function expressSyncCost(events: number, facts: DesignFacts, prices: Prices, scenario: Partial<Scenario> = {}): CostLine[] {
  return costLines(events, facts, prices, {
    workflowType: "express",
    logLevel: "ERROR",
    apiShare: DEFAULT_API_SHARE,
    failureRate: DEFAULT_FAILURE_RATE,
    ...scenario,
  });
}

/** Lines whose cost does not depend on the volume. */
export function isFixed(line: CostLine): boolean {
  return line.component.endsWith("(fixed)");
}

/** The cost of a million events, without the fixed monthly lines. */
export function perMillionEvents(lines: readonly CostLine[], events: number): number {
  return (total(lines.filter((line) => !isFixed(line))) / events) * 1e6;
}

export function total(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.monthlyUsd, 0);
}

export type AslDefinition = {
  StartAt: string;
  States: Record<string, { Type: string; Next?: string; End?: boolean; Choices?: Array<{ Next: string }> }>;
};

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
