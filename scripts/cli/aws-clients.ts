import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSClient } from "@aws-sdk/client-sqs";

/**
 * The SDK clients the operator scripts use, built in one place for one region, each loaded only when a script
 * asks for it (so a refused argument or --help is answered without loading the SDK). Credentials, retries and
 * endpoints come from the standard AWS environment (AWS_PROFILE, AWS_ENDPOINT_URL_*, AWS_MAX_ATTEMPTS, ...).
 */
const FACTORIES = {
  cloudwatch: async (region: string): Promise<CloudWatchClient> =>
    new (await import("@aws-sdk/client-cloudwatch")).CloudWatchClient({ region }),
  logs: async (region: string): Promise<CloudWatchLogsClient> =>
    new (await import("@aws-sdk/client-cloudwatch-logs")).CloudWatchLogsClient({ region }),
  dynamodb: async (region: string): Promise<DynamoDBClient> => new (await import("@aws-sdk/client-dynamodb")).DynamoDBClient({ region }),
  events: async (region: string): Promise<EventBridgeClient> =>
    new (await import("@aws-sdk/client-eventbridge")).EventBridgeClient({ region }),
  sfn: async (region: string): Promise<SFNClient> => new (await import("@aws-sdk/client-sfn")).SFNClient({ region }),
  sqs: async (region: string): Promise<SQSClient> => new (await import("@aws-sdk/client-sqs")).SQSClient({ region }),
};

export type AwsClientName = keyof typeof FACTORIES;
export type AwsClients = { [K in AwsClientName]: Awaited<ReturnType<(typeof FACTORIES)[K]>> };

/** The named clients for `region`. */
export async function awsClients<K extends AwsClientName>(region: string, ...names: K[]): Promise<Pick<AwsClients, K>> {
  const built = await Promise.all(names.map(async (name) => [name, await FACTORIES[name](region)] as const));
  return Object.fromEntries(built) as Pick<AwsClients, K>;
}
