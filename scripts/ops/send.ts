import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { API_DETAIL_TYPE } from "../../stacks/constructs/ingestion-api";
import { loadProjectConfig } from "../project-config";
import { parseArgs, runCli, UsageError } from "./args";

/**
 * npm run send -- --message '<json>' [--environment ENV] [--bus NAME] [--source SOURCE]
 *
 * Puts one message event on the bus, in the shape the rule and the workflow expect ({"message": "<json
 * string>"} as detail), and prints the event id. Region and credentials come from the standard AWS
 * environment (AWS_REGION, AWS_PROFILE, ...).
 */
const USAGE = "usage: npm run send -- --message '<json>' [--environment ENV] [--bus NAME] [--source SOURCE]";

runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), ["--message", "--environment", "--bus", "--source"]);
  const message = args.message;
  if (typeof message !== "string") throw new UsageError("--message is required");
  try {
    JSON.parse(message);
  } catch {
    throw new UsageError(`--message must be JSON, got ${JSON.stringify(message)}`);
  }
  const defaults = deployedDefaults(typeof args.environment === "string" ? args.environment : undefined);
  const busName = typeof args.bus === "string" ? args.bus : defaults.busName;
  const source = typeof args.source === "string" ? args.source : defaults.eventSource;

  const client = new EventBridgeClient({});
  const response = await client.send(new PutEventsCommand({
    Entries: [{ EventBusName: busName, Source: source, DetailType: API_DETAIL_TYPE, Detail: JSON.stringify({ message }) }],
  }));
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new Error(`the event was not accepted: ${entry?.ErrorCode ?? "unknown"} ${entry?.ErrorMessage ?? ""}`.trim());
  }
  process.stdout.write(`${entry.EventId}\n`);
});

/** The bus name and source of an environment as this project's configuration would deploy them. */
function deployedDefaults(environment?: string): { busName: string; eventSource: string } {
  const config = loadProjectConfig();
  const chosen = environment ? config.environments.find((e) => e.environment === environment) : config.environments[0];
  if (!chosen) throw new UsageError(`no environment ${environment}; configured: ${config.environments.map((e) => e.environment).join(", ")}`);
  return { busName: chosen.busName, eventSource: chosen.eventSource };
}
