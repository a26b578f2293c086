import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AslDefinition, successPathStateTypes, writeUnitsPerItem } from "../cost/model";
import { at } from "../json-value";
import { onlyResource, Resource, StackJson } from "../synthesized/stack-json";
import { LimitsTable, PathFacts, WorkflowType } from "./model";

export const LIMITS_PATH = path.join(__dirname, "limits.json");

export function loadLimits(): LimitsTable {
  return JSON.parse(readFileSync(LIMITS_PATH, "utf8")) as LimitsTable;
}

export type CapacityStack = StackJson & { provider?: { aws?: Array<{ region?: string }> } };

/** The rule target that starts the workflow: its `arn` is the state machine's. */
function workflowTarget(stack: StackJson): Resource {
  const targets = Object.values(stack.resource.aws_cloudwatch_event_target ?? {}).filter((t) =>
    String(t.arn).startsWith("${aws_sfn_state_machine."),
  );
  if (targets.length !== 1) throw new Error(`expected one rule target starting the state machine, found ${targets.length}`);
  return targets[0];
}

/**
 * What the capacity depends on, read from a synthesized pipeline stack (cdk.tf.json): the workflow type, the
 * states an execution enters, the region, the target's retry policy, the API's stage throttling. The item
 * size is the cost model's (a 100-byte message plus its key and timestamp).
 */
export function pathFactsFromStack(stack: CapacityStack, lambdaDurationMs: number, messageBytes = 100): PathFacts {
  const machine = onlyResource(stack, "aws_sfn_state_machine");
  const retry = workflowTarget(stack).retry_policy;
  const settings = Object.values(stack.resource.aws_api_gateway_method_settings ?? {})[0]?.settings;
  const rateLimit = at(settings, "throttling_rate_limit");
  const burstLimit = at(settings, "throttling_burst_limit");
  return {
    deployedWorkflowType: String(machine.type).toLowerCase() as WorkflowType,
    region: stack.provider?.aws?.[0]?.region ?? "us-east-1",
    stateTransitionsPerExecution: successPathStateTypes(JSON.parse(String(machine.definition)) as AslDefinition).length,
    writeUnitsPerEvent: writeUnitsPerItem(messageBytes + 100),
    // EventBridge's defaults when the target sets none: 185 retries within 24 hours.
    retryAttempts: Number(at(retry, "maximum_retry_attempts") ?? 185),
    maxEventAgeSeconds: Number(at(retry, "maximum_event_age_in_seconds") ?? 86_400),
    // Numbers in the synthesized stack; the stage has no throttling settings without the API.
    apiStageRateLimit: typeof rateLimit === "number" ? rateLimit : undefined,
    apiStageBurstLimit: typeof burstLimit === "number" ? burstLimit : undefined,
    lambdaDurationMs,
  };
}
