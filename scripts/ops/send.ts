import { randomUUID } from "node:crypto";
// The templates module, not the construct: no provider bindings to load for a one-event script.
import { API_DETAIL_TYPE, idempotencyKeyRefusal, messageRefusal } from "../../stacks/constructs/put-events-templates";
import { EnvironmentConfig } from "../../stacks/config";
import { loadProjectConfig } from "../project-config";
import { parseArgs, runCli, UsageError } from "./args";

/**
 * npm run send -- --message '<json>' [--idempotency-key KEY] [--environment ENV] [--bus NAME] [--source SOURCE] [--region REGION]
 *
 * Puts one message event on the bus, in the shape the rule and the workflow expect ({"message": "<json
 * string>", "idempotencyKey": "<key>"} as detail), and prints the event id and the key. The key is the one
 * given, or a new UUID: the SDK's own retries of PutEvents create new events, and the key makes them one record. The message must pass POST /messages' rule: a JSON object or
 * array of at most 32,768 characters. Bus, source and region are the chosen environment's, as this
 * project's configuration deploys them (cdktf.json, RECORDER_*); AWS_REGION, when set, wins over the configured
 * region. Credentials come from the standard AWS environment (AWS_PROFILE, keys, SSO, ...).
 */
const USAGE =
  "usage: npm run send -- --message '<json>' [--idempotency-key KEY] [--environment ENV] [--bus NAME] [--source SOURCE] [--region REGION]";

runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), ["--message", "--idempotency-key", "--environment", "--bus", "--source", "--region"]);
  const message = args.message;
  if (typeof message !== "string") throw new UsageError("--message is required");
  const refusal = messageRefusal(message);
  if (refusal) throw new UsageError(`--message ${refusal}`);
  const key = typeof args["idempotency-key"] === "string" ? args["idempotency-key"] : randomUUID();
  const keyRefusal = idempotencyKeyRefusal(key);
  if (keyRefusal) throw new UsageError(`--idempotency-key ${keyRefusal}`);
  const chosen = chosenEnvironment(typeof args.environment === "string" ? args.environment : undefined);
  const busName = typeof args.bus === "string" ? args.bus : chosen.busName;
  const source = typeof args.source === "string" ? args.source : chosen.eventSource;
  const region = typeof args.region === "string" ? args.region : process.env.AWS_REGION || chosen.region;

  // Loaded only now: a refused argument or --help is answered without the SDK.
  const { EventBridgeClient, PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
  const client = new EventBridgeClient({ region });
  const response = await client.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: busName, Source: source, DetailType: API_DETAIL_TYPE, Detail: JSON.stringify({ message, idempotencyKey: key }) },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new Error(`the event was not accepted: ${entry?.ErrorCode ?? "unknown"} ${entry?.ErrorMessage ?? ""}`.trim());
  }
  process.stdout.write(`event ${entry.EventId}, idempotency key ${key}\n`);
});

/** The environment as this project's configuration would deploy it: the first one unless named. */
function chosenEnvironment(environment?: string): EnvironmentConfig {
  const config = loadProjectConfig();
  const chosen = environment ? config.environments.find((e) => e.environment === environment) : config.environments[0];
  if (!chosen)
    throw new UsageError(
      `--environment: ${JSON.stringify(environment)} is not configured; expected one of ${config.environments.map((e) => e.environment).join(", ")}`,
    );
  return chosen;
}
