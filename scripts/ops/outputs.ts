import { readFileSync } from "node:fs";
import { UsageError } from "./args";

/** The outputs of a pipeline stack, from `terraform output -json` or from cdktf's --outputs-file. */
export function readOutputs(file: string, stack?: string): Record<string, string> {
  let parsed: Record<string, any>;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, any>;
  } catch (error) {
    throw new UsageError(`--outputs ${file}: cannot read it as JSON (${(error as Error).message})`);
  }
  if (typeof parsed.state_machine_arn === "object") {
    return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, String((output as { value: unknown }).value)]));
  }
  const stacks = Object.keys(parsed).filter((name) => typeof parsed[name]?.state_machine_arn === "string");
  const chosen = stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!chosen || !stacks.includes(chosen)) {
    throw new UsageError(`--outputs ${file}: ${stack ? `no stack ${stack}` : "name the stack with --stack"}; stacks with pipeline outputs: ${stacks.join(", ") || "none"}`);
  }
  return parsed[chosen] as Record<string, string>;
}

