import { randomUUID } from "node:crypto";
// The templates module, not the construct: no provider bindings to load for a one-event script.
import { API_DETAIL_TYPE, idempotencyKeyRefusal, messageRefusal } from "../../stacks/constructs/put-events-templates";
import { EnvironmentConfig } from "../../stacks/config";
import { loadProjectConfig } from "../project-config";
import { awsClients } from "../cli/aws-clients";
import { defineCli, runCli, UsageError } from "../cli/args";

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
const CLI = defineCli({
  command: "npm run send --",
  summary:
    "Puts one message event on the environment's bus, as POST /messages would, and prints the event id and the idempotency key. " +
    "Credentials come from the standard AWS environment (AWS_PROFILE, keys, SSO); the stack's operator policy allows it.",
  options: {
    message: {
      value: "JSON",
      description: "the message: a JSON object or array of at most 32,768 characters, recorded exactly as given",
      required: true,
      example: `'{"hello":"world"}'`,
    },
    "idempotency-key": {
      value: "KEY",
      description: "1 to 128 characters of A-Z a-z 0-9 _ . : -; events with the same key are one record",
      default: "a new UUID",
      example: "order-42",
    },
    environment: {
      value: "ENV",
      description: "the configured environment whose bus, source and region to use",
      default: "the first one",
      example: "dev",
    },
    bus: { value: "NAME", description: "the bus to put the event on", default: "the environment's" },
    source: { value: "SOURCE", description: "the event's source", default: "the environment's rule.eventSource" },
    region: { value: "REGION", description: "the region to call", default: "AWS_REGION, else the environment's region" },
  },
  examples: [
    `npm run send -- --message '{"hello":"world"}'`,
    `npm run send -- --environment prod --message '[1,2]' --idempotency-key order-42`,
  ],
});

runCli(CLI, async () => {
  const args = CLI.parse(process.argv.slice(2));
  const message = args.string("message")!;
  const refusal = messageRefusal(message);
  if (refusal) throw new UsageError(`--message ${refusal}`);
  const key = args.string("idempotency-key") ?? randomUUID();
  const keyRefusal = idempotencyKeyRefusal(key);
  if (keyRefusal) throw new UsageError(`--idempotency-key ${keyRefusal}`);
  const chosen = chosenEnvironment(args.string("environment"));
  const busName = args.string("bus") ?? chosen.bus.eventBusName;
  const source = args.string("source") ?? chosen.rule.eventSource;
  const region = args.string("region") ?? (process.env.AWS_REGION || chosen.region);

  const { events } = await awsClients(region, "events");
  const { PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
  const response = await events.send(
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
