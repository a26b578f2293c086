import { createHash, randomUUID } from "node:crypto";
import { AWS_LIMITS } from "./aws-limits";
import { AwsJsonRequest, AwsJsonServer, Respond } from "./aws-json-server";

/**
 * In-memory SQS queues, served over the AWS JSON protocol that @aws-sdk/client-sqs speaks (SendMessage,
 * ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueUrl, GetQueueAttributes), so the real redrive code reads them with the real SDK.
 * Visibility timeouts are honoured; nothing expires.
 */
export interface LocalMessage {
  readonly MessageId: string;
  readonly Body: string;
  readonly attributes: Readonly<Record<string, string>>;
  receiptHandle?: string;
  invisibleUntil: number;
  receiveCount: number;
}

/** The members of the requests served here that they read, as @aws-sdk/client-sqs sends them; each operation sends its own. */
interface SqsRequest {
  readonly QueueUrl?: string;
  readonly QueueName?: string;
  readonly MessageBody?: string;
  readonly MaxNumberOfMessages?: number;
  readonly VisibilityTimeout?: number;
  readonly ReceiptHandle?: string;
}

export class LocalQueues {
  private readonly queues = new Map<string, LocalMessage[]>();
  /** DeleteMessage calls to refuse with a 500 before serving normally. */
  failNextDeletes = 0;
  private server?: AwsJsonServer;
  private endpointUrl?: string;

  private readonly maximumMessageBytes = new Map<string, number>();

  /**
   * Declares a queue; its URL is `<endpoint>/<account>/<name>` once the endpoint is started.
   * @param maximumMessageBytes the queue's MaximumMessageSize (@default SQS's default, 262,144)
   */
  declare(name: string, maximumMessageBytes?: number): void {
    if (!this.queues.has(name)) this.queues.set(name, []);
    if (maximumMessageBytes !== undefined) this.maximumMessageBytes.set(name, maximumMessageBytes);
  }

  get names(): string[] {
    return [...this.queues.keys()];
  }

  /** Makes every message visible again, as if the visibility timeout of earlier receives had passed. */
  expireVisibility(name: string): void {
    for (const message of this.queue(name)) message.invisibleUntil = 0;
  }

  /** Removes every message (what an operator's purge does). */
  purge(name: string): void {
    this.queue(name).length = 0;
  }

  /** Sends a message; throws MessageTooLong over the queue's maximum message size, as SQS refuses it. */
  send(name: string, body: string, attributes: Record<string, string> = {}): string {
    const bytes =
      Buffer.byteLength(body, "utf8") +
      Object.entries(attributes).reduce((total, [key, value]) => total + Buffer.byteLength(key + value + "String", "utf8"), 0);
    const limit = this.maximumMessageBytes.get(name) ?? AWS_LIMITS.sqsDefaultMaximumMessageBytes;
    if (bytes > limit) throw new MessageTooLong(bytes, limit);
    const id = randomUUID();
    this.queue(name).push({ MessageId: id, Body: body, attributes, invisibleUntil: 0, receiveCount: 0 });
    return id;
  }

  /** Every message in the queue, visible or not. */
  messages(name: string): readonly LocalMessage[] {
    return this.queue(name);
  }

  get endpoint(): string {
    if (!this.endpointUrl) throw new Error("the local SQS endpoint is not started");
    return this.endpointUrl;
  }

  url(name: string): string {
    this.queue(name);
    return `${this.endpoint}/000000000000/${name}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = await AwsJsonServer.start((request, respond) => this.handle(request, respond));
    this.endpointUrl = this.server.endpoint;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private queue(name: string): LocalMessage[] {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no local queue ${name}; declared: ${this.names.join(", ")}`);
    return queue;
  }

  private handle(request: AwsJsonRequest, respond: Respond): void {
    const operation = request.target.replace(/^AmazonSQS\./, "");
    const body = JSON.parse(request.text || "{}") as SqsRequest;
    const name = typeof body.QueueUrl === "string" ? body.QueueUrl.split("/").pop()! : String(body.QueueName ?? "");
    if (!this.queues.has(name)) return respond(400, { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: `no queue ${name}` });
    const queue = this.queue(name);
    switch (operation) {
      case "GetQueueUrl":
        return respond(200, { QueueUrl: this.url(name) });
      case "SendMessage":
        if (body.MessageBody === undefined)
          return respond(400, {
            __type: "com.amazonaws.sqs#MissingParameter",
            message: "The request must contain the parameter MessageBody.",
          });
        try {
          return respond(200, { MessageId: this.send(name, body.MessageBody), MD5OfMessageBody: md5(body.MessageBody) });
        } catch (error) {
          if (!(error instanceof MessageTooLong)) throw error;
          return respond(400, { __type: "com.amazonaws.sqs#InvalidParameterValue", message: error.message });
        }
      case "ReceiveMessage": {
        const now = Date.now();
        const visible = queue.filter((m) => m.invisibleUntil <= now).slice(0, body.MaxNumberOfMessages ?? 1);
        for (const m of visible) {
          m.receiptHandle = randomUUID();
          m.invisibleUntil = now + (body.VisibilityTimeout ?? 30) * 1000;
          m.receiveCount++;
        }
        return respond(200, {
          Messages: visible.map((m) => ({
            MessageId: m.MessageId,
            ReceiptHandle: m.receiptHandle,
            Body: m.Body,
            MD5OfBody: md5(m.Body),
            MessageAttributes: Object.fromEntries(
              Object.entries(m.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
            ),
          })),
        });
      }
      case "DeleteMessage": {
        if (this.failNextDeletes > 0) {
          this.failNextDeletes--;
          return respond(500, { __type: "com.amazonaws.sqs#InternalError", message: "injected: DeleteMessage failed" });
        }
        const index = queue.findIndex((m) => m.receiptHandle === body.ReceiptHandle);
        if (index < 0) return respond(400, { __type: "com.amazonaws.sqs#ReceiptHandleIsInvalid", message: "unknown receipt handle" });
        queue.splice(index, 1);
        return respond(200, {});
      }
      case "ChangeMessageVisibility": {
        const message = queue.find((m) => m.receiptHandle === body.ReceiptHandle);
        if (!message) return respond(400, { __type: "com.amazonaws.sqs#ReceiptHandleIsInvalid", message: "unknown receipt handle" });
        message.invisibleUntil = Date.now() + Number(body.VisibilityTimeout ?? 0) * 1000;
        return respond(200, {});
      }
      case "GetQueueAttributes": {
        const now = Date.now();
        const visible = queue.filter((m) => m.invisibleUntil <= now).length;
        return respond(200, {
          Attributes: {
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(queue.length - visible),
          },
        });
      }
      default:
        return respond(400, { __type: "com.amazonaws.sqs#UnsupportedOperation", message: `not served locally: ${operation}` });
    }
  }
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

/** SendMessage's refusal of a message over the queue's maximum size (InvalidParameterValue). */
export class MessageTooLong extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes (got ${bytes}).`);
    this.name = "InvalidParameterValue";
  }
}
