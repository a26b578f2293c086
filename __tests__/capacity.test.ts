import { capacityReport, main, parseCapacityArgs, USAGE } from "../scripts/capacity/cli";
import { loadLimits, pathFactsFromStack } from "../scripts/capacity/facts";
import {
  firstThrottle,
  limitsOnPath,
  longestBurstWithoutDeadLetter,
  PathFacts,
  retryDelaySeconds,
  simulateBurst,
} from "../scripts/capacity/model";
import { synthPipeline } from "./support/synth";

const table = loadLimits();
const regions = Object.keys(table.regions);
const facts: PathFacts = {
  deployedWorkflowType: "standard",
  region: "us-east-1",
  stateTransitionsPerExecution: 3,
  writeUnitsPerEvent: 1,
  retryAttempts: 3,
  maxEventAgeSeconds: 3600,
  apiStageRateLimit: 50,
  apiStageBurstLimit: 100,
  lambdaDurationMs: 4,
};
const noBackoffCap = { firstDelaySeconds: 1, multiplier: 2, maxDelaySeconds: 300 };

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = main(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

describe("capacity model: the limits table", () => {
  test("every limit has a value for every region the table lists, a source page and what it says", () => {
    for (const [id, limit] of Object.entries(table.limits)) {
      expect(`${id}: ${limit.source}`).toMatch(/: https:\/\/docs\.aws\.amazon\.com\//);
      expect(limit.says.length).toBeGreaterThan(20);
      for (const region of regions)
        expect([id, region, limit.byRegion[region] ?? limit.byRegion.other]).toEqual([id, region, expect.any(Number)]);
    }
    expect(table.dateRead).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test("facts come from the synthesized stack: STANDARD, 3 transitions, the target's 3 retries in 3600 s, the API's 50/100 throttling", () => {
    expect(pathFactsFromStack(synthPipeline() as never, 4)).toEqual(facts);
  });
});

describe("capacity model: the first throttle", () => {
  test("STANDARD in us-east-1 first hits StartExecution's refill rate, 300 events/s (below 1,500 transitions / 3 = 500 and SendTaskSuccess's 500)", () => {
    const limits = limitsOnPath(table, facts, "standard");
    expect(firstThrottle(limits)).toMatchObject({ id: "startExecutionStandard", eventsPerSecond: 300 });
    expect(limits.find((l) => l.id === "stateTransitionsStandard")!.eventsPerSecond).toBe(500);
  });

  test("EXPRESS in us-east-1 first hits its StartExecution refill, 6,000/s: 20x STANDARD; a new on-demand table's 4,000 writes/s make it 13.3x", () => {
    const express = limitsOnPath(table, facts, "express");
    const standard = limitsOnPath(table, facts, "standard");
    expect(firstThrottle(express)).toMatchObject({ id: "startExecutionExpress", eventsPerSecond: 6000 });
    expect(firstThrottle(express).eventsPerSecond / firstThrottle(standard).eventsPerSecond).toBe(20);
    // 4,000 / 300 = 13.33...
    expect(
      firstThrottle(express, { includeInitial: true }).eventsPerSecond / firstThrottle(standard, { includeInitial: true }).eventsPerSecond,
    ).toBeCloseTo(13.333, 3);
  });

  test("in a smaller region (ap-east-1) STANDARD's refill is 150/s and EXPRESS first hits PutEvents' 600/s: 4x, and the report says the target is missed", () => {
    const small = { ...facts, region: "ap-east-1" };
    expect(firstThrottle(limitsOnPath(table, small, "standard")).eventsPerSecond).toBe(150);
    expect(firstThrottle(limitsOnPath(table, small, "express"))).toMatchObject({ id: "putEvents", eventsPerSecond: 600 });
    const report = capacityReport(table, small, 100, 10, "standard");
    expect(report.ratio).toBe(4);
    expect(report.text).toContain("does NOT reach the 20x target: the documented defaults give 4.0x");
  });

  test("Lambda concurrency allows quota / duration events/s: 1,000 / 0.004 s = 250,000", () => {
    expect(limitsOnPath(table, facts, "express").find((l) => l.id === "lambdaConcurrency")!.eventsPerSecond).toBe(250_000);
  });

  test("events sent through POST /messages first meet the stage throttling the stack sets (50/s)", () => {
    expect(firstThrottle(limitsOnPath(table, facts, "standard"), { path: "api" })).toMatchObject({ id: "apiStage", eventsPerSecond: 50 });
  });
});

describe("capacity model: a burst against the StartExecution bucket and the retry policy", () => {
  test("retry delays double from 1 s and are capped", () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelaySeconds(n, noBackoffCap))).toEqual([1, 2, 4, 8, 300]);
  });

  test("within the refill rate nothing is refused, however long the burst", () => {
    const input = { rate: 300, bucket: 1300, refill: 300, retryAttempts: 3, maxEventAgeSeconds: 3600, backoff: noBackoffCap };
    expect(simulateBurst({ ...input, seconds: 600 })).toMatchObject({
      startedFirstTry: 180_000,
      startedOnRetry: 0,
      deadLettered: 0,
      absorbedByBucket: 0,
    });
    expect(longestBurstWithoutDeadLetter(input)).toBe(Infinity);
  });

  test("without retries, 400/s against 1,300 + 300/s: the bucket lasts 13 s, then 100/s are dead-lettered", () => {
    // Each second the bucket gains 300 and gives 400: 1,300 - 100 x 13 = 0 after second 12 (0-based).
    // From second 13 on, 300 start and 100 are refused; with no retries they are dead-lettered:
    // a 60 s burst dead-letters 100 x (60 - 13) = 4,700 of its 24,000 events.
    const input = { rate: 400, bucket: 1300, refill: 300, retryAttempts: 0, maxEventAgeSeconds: 3600, backoff: noBackoffCap };
    expect(simulateBurst({ ...input, seconds: 60 })).toEqual({
      events: 24_000,
      startedFirstTry: 19_300,
      startedOnRetry: 0,
      deadLettered: 4_700,
      firstDeadLetterSecond: 13,
      absorbedByBucket: 1_300,
    });
    expect(longestBurstWithoutDeadLetter(input)).toBe(13);
  });

  test("one retry after 1 s: bucket 1, refill 1, 2 events/s; a 2 s burst is absorbed, a 3 s burst dead-letters 1 event", () => {
    // Second 0: 1 + 1 tokens, 2 events start.                          Tokens left 0.
    // Second 1: 1 token, 2 new events: 1 starts, 1 retried at second 2.
    // Second 2 (2 s burst): 1 token for the 1 retry: it starts.         Total: 3 at once, 1 on retry, 0 DLQ.
    // Second 2 (3 s burst): 2 new + 1 retry share 1 token, a third each: 2/3 new and 1/3 retry start; 4/3 new
    //   are retried at second 3; the 2/3 retry has no retry left: dead-lettered (first DLQ in second 2).
    // Second 3: 1 token for the 4/3 retries: 1 starts, 1/3 dead-lettered.
    // Total of the 3 s burst: 6 events = at once 2 + 1 + 2/3 = 11/3, on retry 1/3 + 1 = 4/3, DLQ 2/3 + 1/3 = 1.
    const input = { rate: 2, bucket: 1, refill: 1, retryAttempts: 1, maxEventAgeSeconds: 3600, backoff: noBackoffCap };
    expect(simulateBurst({ ...input, seconds: 2 })).toMatchObject({ events: 4, startedFirstTry: 3, startedOnRetry: 1, deadLettered: 0 });
    const three = simulateBurst({ ...input, seconds: 3 });
    expect(three.startedFirstTry).toBeCloseTo(11 / 3, 9);
    expect(three.startedOnRetry).toBeCloseTo(4 / 3, 9);
    expect(three.deadLettered).toBeCloseTo(1, 9);
    expect(three.firstDeadLetterSecond).toBe(2);
    expect(longestBurstWithoutDeadLetter(input)).toBe(2);
  });

  test("a retry that would exceed the maximum event age is dead-lettered instead", () => {
    // Bucket 0, refill 1, 2 events in one second: 1 starts, 1 is refused. Its retry would come at 1 s of age,
    // over a maximum age of 0 s, so it is dead-lettered at once.
    const outcome = simulateBurst({
      rate: 2,
      seconds: 1,
      bucket: 0,
      refill: 1,
      retryAttempts: 3,
      maxEventAgeSeconds: 0,
      backoff: noBackoffCap,
    });
    expect(outcome).toMatchObject({ startedFirstTry: 1, startedOnRetry: 0, deadLettered: 1, firstDeadLetterSecond: 0 });
  });
});

describe("npm run capacity", () => {
  test("prints the limits, the first throttle, the ratio and the burst for 1,000 events/s", () => {
    const report = capacityReport(table, facts, 1000, 60, "standard");
    expect(report.text).toContain(
      "STANDARD: Step Functions StartExecution, STANDARD (token bucket) at 300 events/s (1,000/s is 333% of it)",
    );
    expect(report.text).toContain("EXPRESS sustains 20.0x the event rate of STANDARD");
    expect(report.text).toMatch(/dead-lettered \(DLQ\)\s+[\d,]+\s+0/);
  });

  test("--help prints the usage and every option with its default, and exits 0", () => {
    const result = run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.out.split("\n")[0]).toBe(USAGE);
    expect(result.out).toContain("  --burst-seconds S      the length of the burst, a whole number of seconds (default: 60)");
  });

  test("the goal line is the last line of the report", () => {
    expect(capacityReport(table, facts, 1000, 60, "standard").text.split("\n").at(-1)).toMatch(
      /^EXPRESS sustains 20\.0x the event rate of STANDARD before the first throttle on default quotas .*: meets the 20x target\.$/,
    );
  });

  test.each([
    [["--events-per-second", "abc"], '--events-per-second: "abc" is not allowed; expected a whole number of at least 1'],
    [["--events-per-second", "0"], '--events-per-second: "0" is not allowed; expected a whole number of at least 1'],
    [["--events-per-second", "-5"], '--events-per-second: "-5" is not allowed; expected a whole number of at least 1'],
    [["--events-per-second", "1.5"], '--events-per-second: "1.5" is not allowed; expected a whole number of at least 1'],
    [
      ["--events-per-second", "10", "--burst-seconds", "1.5"],
      '--burst-seconds: "1.5" is not allowed; expected a whole number of at least 1',
    ],
    [
      ["--events-per-second", "10", "--region", "mars-1"],
      '--region: "mars-1" is not allowed; expected one of us-east-1, us-west-2, eu-west-1, ap-east-1',
    ],
    [["--events-per-second", "10", "--workflow-type", "fast"], '--workflow-type: "fast" is not allowed; expected one of standard, express'],
    [["--events-per-second"], "--events-per-second needs a value (N)"],
    [[], "--events-per-second is required"],
    [["--rate", "5"], "unknown option --rate; allowed: --events-per-second, --region, --burst-seconds, --workflow-type, --stack-dir"],
  ])("rejects %j with one line, the usage and exit 2, worded as every script words it", (argv, message) => {
    const result = run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`${message}; ${USAGE}\n`);
  });

  test("parses the options it documents", () => {
    expect(
      parseCapacityArgs(
        ["--events-per-second", "100", "--region", "eu-west-1", "--burst-seconds", "30", "--workflow-type", "express"],
        regions,
      ),
    ).toEqual({ eventsPerSecond: 100, region: "eu-west-1", burstSeconds: 30, workflowType: "express", stackDir: undefined });
  });
});
