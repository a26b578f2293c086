/**
 * Capacity of the event path: which documented limit an event rate hits first, and what a burst does to the
 * StartExecution token bucket and EventBridge's retry policy. Pure functions: every input is an argument, so
 * the arithmetic is tested against cases worked out by hand.
 */

export type WorkflowType = "standard" | "express";

/** A per-region number: a region's own value, or "other" for what the page says of all other regions. */
export type ByRegion = Readonly<Record<string, number>>;

export interface LimitEntry {
  readonly service: string;
  readonly name: string;
  readonly unit: string;
  /** Units one event uses: a number, or the name of a path fact (transitions per execution, write units). */
  readonly perEvent?: number | "stateTransitionsPerExecution" | "writeUnitsPerEvent";
  /** Token bucket size, where the limit is a token bucket. */
  readonly bucket?: ByRegion;
  /** The sustained rate (the bucket's refill rate, or the quota itself). */
  readonly byRegion: ByRegion;
  readonly whenExceeded: string;
  readonly source: string;
  readonly says: string;
}

export interface RetryBackoff {
  readonly firstDelaySeconds: number;
  readonly multiplier: number;
  readonly maxDelaySeconds: number;
}

export interface LimitsTable {
  readonly dateRead: string;
  readonly regions: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, LimitEntry>>;
  readonly eventBridgeRetry: RetryBackoff & { readonly source: string; readonly assumption: string };
}

/** What the capacity depends on, read from the synthesized stack (and the measured handler duration). */
export interface PathFacts {
  readonly deployedWorkflowType: WorkflowType;
  readonly region: string;
  readonly stateTransitionsPerExecution: number;
  readonly writeUnitsPerEvent: number;
  /** Retry policy of the rule target that starts the workflow. */
  readonly retryAttempts: number;
  readonly maxEventAgeSeconds: number;
  /** Stage throttling of POST /messages (method settings), when the stack has the API. */
  readonly apiStageRateLimit?: number;
  readonly apiStageBurstLimit?: number;
  /** Duration of one recorder invocation, which sets the concurrency a rate needs. */
  readonly lambdaDurationMs: number;
}

export interface ResolvedLimit {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly unit: string;
  readonly rate: number;
  readonly bucket?: number;
  /** The sustained event rate this limit allows (Infinity: not binding for this path). */
  readonly eventsPerSecond: number;
  /** A quota (counts for "the first throttle") or an initial throughput that grows by itself. */
  readonly kind: "quota" | "initial" | "info";
  /** Events reach it on every path, or only those sent through POST /messages. */
  readonly path: "all" | "api";
  readonly whenExceeded: string;
  readonly source: string;
}

export class UnknownRegionError extends Error {}

export function regionValue(values: ByRegion, region: string, what: string): number {
  const value = values[region] ?? values.other;
  if (value === undefined) throw new UnknownRegionError(`${what}: no value for ${region} in scripts/capacity/limits.json`);
  return value;
}

/** The limits on the path of one workflow type, each with the event rate it allows. */
export function limitsOnPath(table: LimitsTable, facts: PathFacts, workflow: WorkflowType): ResolvedLimit[] {
  const region = facts.region;
  const entry = (id: string) => {
    const found = table.limits[id];
    if (!found) throw new Error(`scripts/capacity/limits.json has no limit ${id}`);
    return found;
  };
  const perEvent = (limit: LimitEntry): number =>
    limit.perEvent === "stateTransitionsPerExecution"
      ? facts.stateTransitionsPerExecution
      : limit.perEvent === "writeUnitsPerEvent"
        ? facts.writeUnitsPerEvent
        : (limit.perEvent ?? 1);
  const resolve = (
    id: string,
    kind: ResolvedLimit["kind"] = "quota",
    path: ResolvedLimit["path"] = "all",
    eventsPerSecond?: number,
  ): ResolvedLimit => {
    const limit = entry(id);
    const rate = regionValue(limit.byRegion, region, `${limit.service} ${limit.name}`);
    return {
      id,
      service: limit.service,
      name: limit.name,
      unit: limit.unit,
      rate,
      bucket: limit.bucket ? regionValue(limit.bucket, region, `${limit.service} ${limit.name} bucket`) : undefined,
      eventsPerSecond: eventsPerSecond ?? rate / perEvent(limit),
      kind,
      path,
      whenExceeded: limit.whenExceeded,
      source: limit.source,
    };
  };
  const concurrency = entry("lambdaConcurrency");
  const concurrencyQuota = regionValue(concurrency.byRegion, region, "Lambda concurrency");
  const limits: ResolvedLimit[] = [
    resolve("putEvents"),
    resolve("invocations"),
    ...(workflow === "standard"
      ? [resolve("startExecutionStandard"), resolve("stateTransitionsStandard"), resolve("sendTaskSuccess")]
      : [resolve("startExecutionExpress")]),
    resolve("lambdaRequestRate"),
    // Concurrency needed = rate x duration, so the quota allows quota / duration events per second.
    resolve("lambdaConcurrency", "quota", "all", concurrencyQuota / (facts.lambdaDurationMs / 1000)),
    resolve("lambdaScalingRate", "info", "all", Infinity),
    resolve("dynamodbNewTable", "initial"),
    resolve("dynamodbTable"),
    // Keys are event ids, spread over partitions: one partition binds only for a single repeated id.
    resolve("dynamodbPartition", "info", "all", Infinity),
    resolve("apiAccount", "quota", "api"),
  ];
  if (facts.apiStageRateLimit !== undefined) {
    limits.push({
      id: "apiStage",
      service: "API Gateway",
      name: "stage throttling of POST /messages",
      unit: "requests/s",
      rate: facts.apiStageRateLimit,
      bucket: facts.apiStageBurstLimit,
      eventsPerSecond: facts.apiStageRateLimit,
      kind: "quota",
      path: "api",
      whenExceeded: "the caller gets 429 and must retry; nothing was published",
      source: "apiThrottlingRateLimit / apiThrottlingBurstLimit in the synthesized aws_api_gateway_method_settings",
    });
  }
  return limits;
}

/** The limit a steadily rising rate meets first: the lowest sustained rate among those that count. */
export function firstThrottle(
  limits: readonly ResolvedLimit[],
  options: { path?: "all" | "api"; includeInitial?: boolean } = {},
): ResolvedLimit {
  const path = options.path ?? "all";
  const counted = limits.filter(
    (l) => (l.kind === "quota" || (options.includeInitial && l.kind === "initial")) && (l.path === "all" || path === "api"),
  );
  return counted.reduce((lowest, l) => (l.eventsPerSecond < lowest.eventsPerSecond ? l : lowest));
}

export interface BurstInput {
  /** Events per second arriving at the rule during the burst. */
  readonly rate: number;
  readonly seconds: number;
  /** The StartExecution token bucket: size and refill per second. It starts full. */
  readonly bucket: number;
  readonly refill: number;
  readonly retryAttempts: number;
  readonly maxEventAgeSeconds: number;
  readonly backoff: RetryBackoff;
}

export interface BurstOutcome {
  readonly events: number;
  readonly startedFirstTry: number;
  readonly startedOnRetry: number;
  readonly deadLettered: number;
  /** Second (from the start of the burst) in which the first event was dead-lettered; undefined: none. */
  readonly firstDeadLetterSecond?: number;
  /** Events above the refill rate that the full bucket let through: min(bucket, (rate - refill) x seconds). */
  readonly absorbedByBucket: number;
}

/** Delay before retry number `retry` (1-based). */
export function retryDelaySeconds(retry: number, backoff: RetryBackoff): number {
  return Math.min(backoff.firstDelaySeconds * backoff.multiplier ** (retry - 1), backoff.maxDelaySeconds);
}

const EPSILON = 1e-9;

/**
 * Fluid simulation in 1-second steps. In each step the bucket gains `refill` tokens (capped at its size after
 * the step's starts, so a full bucket serves `bucket + refill` in its first second); new events and the
 * retries due compete for the tokens in proportion to their numbers; what is refused is retried after the
 * backoff if it has retries left and stays within the maximum event age, otherwise it is dead-lettered.
 */
export function simulateBurst(input: BurstInput): BurstOutcome {
  type Pending = { attempt: number; arrival: number; amount: number };
  const due = new Map<number, Pending[]>();
  let tokens = input.bucket;
  let startedFirstTry = 0;
  let startedOnRetry = 0;
  let deadLettered = 0;
  let firstDeadLetterSecond: number | undefined;
  let lastDue = 0;
  for (let t = 0; t < input.seconds || t <= lastDue; t++) {
    const contenders: Pending[] = [...(t < input.seconds ? [{ attempt: 0, arrival: t, amount: input.rate }] : []), ...(due.get(t) ?? [])];
    due.delete(t);
    const demand = contenders.reduce((sum, c) => sum + c.amount, 0);
    const available = tokens + input.refill;
    const accepted = Math.min(demand, available);
    const share = demand > 0 ? accepted / demand : 0;
    tokens = Math.min(input.bucket, available - accepted);
    for (const c of contenders) {
      const started = c.amount * share;
      if (c.attempt === 0) startedFirstTry += started;
      else startedOnRetry += started;
      const refused = c.amount - started;
      if (refused <= EPSILON) continue;
      const retry = c.attempt + 1;
      const at = t + retryDelaySeconds(retry, input.backoff);
      if (retry <= input.retryAttempts && at - c.arrival <= input.maxEventAgeSeconds) {
        const list = due.get(at) ?? [];
        list.push({ attempt: retry, arrival: c.arrival, amount: refused });
        due.set(at, list);
        lastDue = Math.max(lastDue, at);
      } else {
        deadLettered += refused;
        firstDeadLetterSecond ??= t;
      }
    }
  }
  return {
    events: input.rate * input.seconds,
    startedFirstTry,
    startedOnRetry,
    deadLettered,
    firstDeadLetterSecond,
    absorbedByBucket: Math.min(input.bucket, Math.max(0, (input.rate - input.refill) * input.seconds)),
  };
}

/**
 * The longest burst (whole seconds, up to `horizonSeconds`) at this rate after which nothing is dead-lettered.
 * Infinity when the rate is within the refill rate; `horizonSeconds` when even that long a burst is absorbed.
 */
export function longestBurstWithoutDeadLetter(input: Omit<BurstInput, "seconds">, horizonSeconds = 86_400): number {
  if (input.rate <= input.refill) return Infinity;
  const clean = (seconds: number) => simulateBurst({ ...input, seconds }).deadLettered <= EPSILON;
  if (!clean(1)) return 0;
  // Double the burst until it dead-letters (a sustained overload does so within seconds), then bisect.
  let low = 1;
  let high = 2;
  while (clean(Math.min(high, horizonSeconds))) {
    if (high >= horizonSeconds) return horizonSeconds;
    low = high;
    high *= 2;
  }
  high = Math.min(high, horizonSeconds);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (clean(middle)) low = middle;
    else high = middle;
  }
  return low;
}
