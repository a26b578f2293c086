import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { at } from "../json-value";
import { onlyResource, readPipelineStack, StackJson } from "../synthesized/stack-json";
import { AslDefinition, DesignFacts, LogLevel, Prices, successPathStateTypes } from "./model";
import type { FactsByType } from "./report";
import { ConfigError } from "../../stacks/config";

export const PRICES_PATH = path.join(__dirname, "prices.json");
/**
 * The handler duration the cost model uses: a checked-in input, copied from a `npm run bench:lambda` run only
 * when asked (`npm run bench:lambda -- --save`), so that benchmarking never changes tracked files by itself.
 */
export const LAMBDA_BENCH_INPUT_PATH = path.join(__dirname, "handler-duration.json");
/** Where `npm run bench:lambda` writes its latest results: an untracked folder. */
export const BENCH_RESULTS_DIR = path.join(__dirname, "..", "..", ".bench");

export interface LambdaBenchResult {
  readonly date: string;
  readonly machine: string;
  readonly records: number;
  readonly handlerMeanMs: number;
  readonly handlerP50Ms: number;
  readonly bareMeanMs: number;
  readonly coldLoadMs: number;
  readonly bundleBytes: number;
  readonly zipBytes: number;
}

export function loadPrices(): Prices {
  return JSON.parse(readFileSync(PRICES_PATH, "utf8")) as Prices;
}

export function loadLambdaBench(): LambdaBenchResult {
  if (!existsSync(LAMBDA_BENCH_INPUT_PATH)) throw new Error(`${LAMBDA_BENCH_INPUT_PATH} is missing: run npm run bench:lambda -- --save`);
  return JSON.parse(readFileSync(LAMBDA_BENCH_INPUT_PATH, "utf8")) as LambdaBenchResult;
}

/** The region the stack's AWS provider deploys to, when the stack names one. */
export function stackRegion(stackJson: StackJson): string | undefined {
  const region = at(stackJson, "provider", "aws", 0, "region");
  return typeof region === "string" ? region : undefined;
}

/** What the cost depends on, read from a synthesized pipeline stack (cdk.tf.json) and the measured duration. */
export function designFactsFromStack(stackJson: StackJson, handlerDurationMs: number, messageBytes: number): DesignFacts {
  const machine = onlyResource(stackJson, "aws_sfn_state_machine");
  const fn = onlyResource(stackJson, "aws_lambda_function");
  const pathTypes = successPathStateTypes(JSON.parse(String(machine.definition)) as AslDefinition);
  const logging = machine.logging_configuration;
  const quietLevels: unknown[] = ["WARN", "ERROR", "FATAL"];
  const retention = Object.values(stackJson.resource.aws_cloudwatch_log_group ?? {}).map((g) => Number(g.retention_in_days));
  const [archive] = Object.values(stackJson.resource.aws_cloudwatch_event_archive ?? {});
  return {
    stateTransitionsPerExecution: pathTypes.length,
    tasksPerExecution: pathTypes.filter((type) => type === "Task").length,
    logLevel: (at(logging, "level") ?? "OFF") as LogLevel,
    tracing: Boolean(at(machine, "tracing_configuration", "enabled")),
    lambdaMemoryMb: Number(fn.memory_size ?? 128),
    lambdaArchitecture: (at(fn, "architectures", 0) ?? "x86_64") as "arm64" | "x86_64",
    handlerDurationMs,
    includeExecutionData: Boolean(at(logging, "include_execution_data")),
    logRetentionInDays: Math.max(...retention, 0),
    messageBytes,
    alarms: Object.keys(stackJson.resource.aws_cloudwatch_metric_alarm ?? {}).length,
    customerManagedKeys: Object.keys(stackJson.resource.aws_kms_key ?? {}).length,
    keyUsers: countKeyUsers(stackJson),
    alarmEmailSubscriptions: Object.values(stackJson.resource.aws_sns_topic_subscription ?? {}).filter((s) => s.protocol === "email")
      .length,
    // The recorder logs one line per record at INFO; the platform's START/END/REPORT lines are INFO system logs.
    lambdaLogLinesPerInvocation:
      (quietLevels.includes(at(fn, "logging_config", "application_log_level")) ? 0 : 1) +
      (quietLevels.includes(at(fn, "logging_config", "system_log_level")) ? 0 : 3),
    ...(archive ? { archiveRetentionDays: Number(archive.retention_days ?? 0) } : {}),
  };
}

/** Resources whose KMS attribute points at a key of the stack. */
function countKeyUsers(stackJson: StackJson): number {
  const usesKey = (value: unknown): boolean => typeof value === "string" && value.startsWith("${aws_kms_key.");
  return Object.values(stackJson.resource)
    .flatMap((byName) => Object.values(byName))
    .filter((body) =>
      [
        body.kms_key_id,
        body.kms_master_key_id,
        body.kms_key_arn,
        at(body, "server_side_encryption", "kms_key_arn"),
        at(body, "encryption_configuration", "kms_key_id"),
      ].some(usesKey),
    ).length;
}

/**
 * The first environment synthesized once as each workflow type (RECORDER_WORKFLOW_TYPE over the rest of the
 * configuration), so that each column of the cost table has that type's defaults: logging, tracing, log levels.
 * A configuration valid for one type only (a STANDARD execution timeout over EXPRESS's 5 minutes) prices both
 * columns from the stack that synthesizes, and says so.
 */
export function factsByWorkflowType(
  synthesize: (env: NodeJS.ProcessEnv) => string,
  env: NodeJS.ProcessEnv,
  handlerDurationMs: number,
  messageBytes: number,
): FactsByType {
  const facts = (type: "standard" | "express"): DesignFacts | ConfigError => {
    try {
      return designFactsFromStack(readPipelineStack(synthesize({ ...env, RECORDER_WORKFLOW_TYPE: type })), handlerDurationMs, messageBytes);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
  };
  const standard = facts("standard");
  const express = facts("express");
  if (standard instanceof ConfigError) {
    if (express instanceof ConfigError) throw standard;
    return {
      standard: express,
      express,
      note: `STANDARD priced with the EXPRESS stack's settings, since this configuration is not valid for STANDARD: ${standard.message}`,
    };
  }
  if (express instanceof ConfigError)
    return {
      standard,
      express: standard,
      note: `EXPRESS priced with the STANDARD stack's settings, since this configuration is not valid for EXPRESS: ${express.message}`,
    };
  return { standard, express };
}
