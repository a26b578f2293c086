import { createServer, IncomingMessage, request, Server } from "node:http";
import { AddressInfo } from "node:net";
import { LambdaUnknownError } from "./lambda-service";

export { LambdaUnknownError };

/**
 * Faults injected at the real endpoints the pipeline talks to, never inside our own code: DynamoDB answers
 * with throttling, a function crashes after its write, the callback endpoint fails with 5xx, the Lambda
 * service reports a crash, StartExecution is refused. Each fault is planned per message (event id) and count,
 * so concurrent messages do not steal each other's faults. Which message a request is about is the glue's to say
 * (FaultKeys): these endpoints know the protocols, not the payloads.
 */
export type FaultKind =
  /** PutItem answered with ProvisionedThroughputExceededException (HTTP 400, retryable). */
  | "throttlePutItem"
  /** PutItem reaches the table, then the function's execution environment is killed before it sees the answer (Lambda.Unknown). */
  | "crashAfterWrite"
  /** SendTaskSuccess answered with ServiceUnavailable (HTTP 503). */
  | "failSendTaskSuccess"
  /** The invocation of a function (any, despite the name) fails as a crash (Lambda.Unknown) before the handler runs. */
  | "recorderCrash"
  /** The rule target cannot start the execution (EventBridge retries, then dead-letters). */
  | "failStartExecution"
  /** PutEvents rejects the entry with ThrottlingException (FailedEntryCount 1); keyed "*": the event has no id yet. */
  | "throttlePutEvents"
  /** EventBridge cannot write the event to its target's dead-letter queue either (its key or policy broke): lost but for the archive. */
  | "failDeadLetter"
  /** A DynamoDB request answered with InternalServerError (HTTP 500, retryable): a PutItem of the message, or ("*") any request. */
  | "failDynamoDB";

export const FAULT_KINDS: readonly FaultKind[] = [
  "throttlePutItem",
  "crashAfterWrite",
  "failSendTaskSuccess",
  "recorderCrash",
  "failStartExecution",
  "throttlePutEvents",
  "failDynamoDB",
  "failDeadLetter",
];

export class FaultPlan {
  private readonly remaining = new Map<string, number>();
  /** How many faults of each kind were injected. */
  readonly injected: Record<FaultKind, number> = {
    throttlePutItem: 0,
    crashAfterWrite: 0,
    failSendTaskSuccess: 0,
    recorderCrash: 0,
    failStartExecution: 0,
    throttlePutEvents: 0,
    failDynamoDB: 0,
    failDeadLetter: 0,
  };

  /** The next `count` occasions of `kind` for this message fail (Infinity: every one). */
  add(kind: FaultKind, messageId: string, count: number): void {
    this.remaining.set(`${kind}/${messageId}`, count);
  }

  /** True when this occasion must fail; counts it. */
  take(kind: FaultKind, messageId: string | undefined): boolean {
    if (messageId === undefined) return false;
    const key = `${kind}/${messageId}`;
    const left = this.remaining.get(key) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(key, left - 1);
    this.injected[kind]++;
    return true;
  }
}

/** Where each endpoint reads the key of the message a request is about (undefined: no fault applies). */
export interface FaultKeys {
  /** A function's invocation payload (recorderCrash, crashAfterWrite). */
  readonly ofPayload: (payload: unknown) => string | undefined;
  /** The body of a DynamoDB PutItem request (throttlePutItem, crashAfterWrite). */
  readonly ofPutItem: (request: unknown) => string | undefined;
  /** The `output` of a SendTaskSuccess request, as sent (failSendTaskSuccess). */
  readonly ofTaskOutput: (output: string) => string | undefined;
}

/** No request is about any message: no fault is ever injected. */
export const NO_FAULT_KEYS: FaultKeys = { ofPayload: () => undefined, ofPutItem: () => undefined, ofTaskOutput: () => undefined };

/**
 * A proxy in front of dynalite that injects the DynamoDB faults of a plan. A throttled PutItem is answered
 * as DynamoDB answers it; a crash after the write forwards the PutItem, lets it complete, tells `onCrash`, and
 * drops the connection so the dying function never sees the answer.
 */
export class DynamoDBFaultProxy {
  onCrash: (messageId: string) => void = () => undefined;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string, faults: FaultPlan, keys: FaultKeys = NO_FAULT_KEYS): Promise<DynamoDBFaultProxy> {
    const { hostname, port } = new URL(target);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const messageId = String(req.headers["x-amz-target"]).endsWith(".PutItem") ? putItemKey(body, keys) : undefined;
        if (faults.take("throttlePutItem", messageId)) {
          res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
          res.end(
            JSON.stringify({
              __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
              message: "The level of configured provisioned throughput for the table was exceeded (injected)",
            }),
          );
          return;
        }
        if (faults.take("failDynamoDB", messageId) || faults.take("failDynamoDB", "*")) {
          res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
          res.end(
            JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "injected transient failure" }),
          );
          return;
        }
        const crash = faults.take("crashAfterWrite", messageId);
        const upstream = request({ hostname, port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          if (crash) {
            answer.resume();
            answer.on("end", () => {
              proxy.onCrash(messageId!);
              res.destroy();
            });
            return;
          }
          if (answer.statusCode === 400 && wantsOldItem(body)) {
            // dynalite ignores ReturnValuesOnConditionCheckFailure; DynamoDB returns the stored item with the error.
            void withStoredItem(answer, body, { hostname, port: Number(port), headers: req.headers }).then(([status, headers, text]) => {
              res.writeHead(status, headers);
              res.end(text);
            });
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new DynamoDBFaultProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function wantsOldItem(body: Buffer): boolean {
  try {
    return (
      (JSON.parse(body.toString("utf8")) as { ReturnValuesOnConditionCheckFailure?: string }).ReturnValuesOnConditionCheckFailure ===
      "ALL_OLD"
    );
  } catch {
    return false;
  }
}

/**
 * A ConditionalCheckFailedException of a PutItem that asked for ALL_OLD, completed with the stored item as
 * DynamoDB answers it (`Item` beside `__type` and `message`), read from dynalite with a consistent GetItem.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
 */
async function withStoredItem(
  answer: IncomingMessage,
  putBody: Buffer,
  upstream: { hostname: string; port: number; headers: IncomingMessage["headers"] },
): Promise<[number, IncomingMessage["headers"], string]> {
  const text = await readAll(answer);
  const error = JSON.parse(text) as { __type?: string };
  if (!String(error.__type).endsWith("ConditionalCheckFailedException")) return [400, answer.headers, text];
  const put = JSON.parse(putBody.toString("utf8")) as { TableName: string; Item: Record<string, unknown> };
  const key = Object.fromEntries(Object.entries(put.Item).filter(([name]) => name === "messageId"));
  const get = JSON.stringify({ TableName: put.TableName, Key: key, ConsistentRead: true });
  const stored = await new Promise<string>((resolve, reject) => {
    const headers = { ...upstream.headers, "x-amz-target": "DynamoDB_20120810.GetItem", "content-length": String(Buffer.byteLength(get)) };
    const call = request({ hostname: upstream.hostname, port: upstream.port, path: "/", method: "POST", headers }, (reply) => {
      readAll(reply).then(resolve, reject);
    });
    call.on("error", reject);
    call.end(get);
  });
  const item = (JSON.parse(stored) as { Item?: unknown }).Item;
  const body = JSON.stringify({ ...error, ...(item ? { Item: item } : {}) });
  return [400, { ...answer.headers, "content-length": String(Buffer.byteLength(body)) }, body];
}

function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
  });
}

function putItemKey(body: Buffer, keys: FaultKeys): string | undefined {
  try {
    return keys.ofPutItem(JSON.parse(body.toString("utf8")));
  } catch {
    return undefined;
  }
}
