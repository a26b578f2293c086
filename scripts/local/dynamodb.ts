import { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
// dynalite has no type declarations; its factory returns an http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => import("node:http").Server;

/** Credentials and region for talking to local endpoints; nothing here reaches AWS. */
export const LOCAL_AWS = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } } as const;

export interface LocalDynamoDB {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** A real DynamoDB HTTP API (dynalite, in memory) on a random loopback port. */
export async function startDynamoDB(): Promise<LocalDynamoDB> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The table as the stack declares it: name, hash key and attributes, read from the synthesized resource. */
export interface TableDeclaration {
  readonly name: string;
  readonly hash_key: string;
  readonly range_key?: string;
  readonly attribute: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly billing_mode?: string;
  readonly global_secondary_index?: ReadonlyArray<{
    readonly name: string;
    readonly hash_key: string;
    readonly range_key?: string;
    readonly projection_type: string;
    readonly non_key_attributes?: readonly string[];
  }>;
}

/** Creates the table with its keys, attributes and global secondary indexes (billing is irrelevant offline). */
export async function createTable(client: DynamoDBClient, table: TableDeclaration, name = table.name): Promise<void> {
  const keys = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: "HASH" as const },
    ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
  ];
  const indexes = table.global_secondary_index ?? [];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: keys(table.hash_key, table.range_key),
      AttributeDefinitions: table.attribute.map((a) => ({ AttributeName: a.name, AttributeType: a.type as "S" | "N" | "B" })),
      BillingMode: "PAY_PER_REQUEST",
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: keys(index.hash_key, index.range_key),
              Projection: {
                ProjectionType: index.projection_type as "ALL" | "KEYS_ONLY" | "INCLUDE",
                ...(index.non_key_attributes ? { NonKeyAttributes: [...index.non_key_attributes] } : {}),
              },
            })),
          }
        : {}),
    }),
  );
}

/** The item whose hash key (a string) is `key`, read consistently; undefined when there is none. */
export async function getItem(client: DynamoDBClient, table: TableDeclaration, key: string) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table.name, Key: { [table.hash_key]: { S: key } }, ConsistentRead: true }),
  );
  return Item;
}

export async function getMessage(client: DynamoDBClient, tableName: string, messageId: string) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { messageId: { S: messageId } }, ConsistentRead: true }),
  );
  return Item;
}
