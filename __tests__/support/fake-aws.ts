import { createHash, randomUUID } from "node:crypto";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A local endpoint for the AWS JSON protocol calls the ops scripts make (SQS ReceiveMessage/DeleteMessage,
 * Step Functions StartExecution, EventBridge PutEvents). It records every call and keeps a small in-memory
 * queue, so tests drive the real SDK clients and assert on what was sent.
 */
export interface RecordedCall {
  readonly operation: string;
  readonly body: Record<string, any>;
  /** The region the request was signed for (from its SigV4 credential scope). */
  readonly region?: string;
}

interface QueuedMessage {
  readonly MessageId: string;
  readonly Body: string;
  readonly attributes: Record<string, string>;
  receiptHandle?: string;
  invisibleUntil: number;
}

export class FakeAws {
  readonly calls: RecordedCall[] = [];
  readonly queue: QueuedMessage[] = [];
  /** StartExecution answers with this error for inputs whose event id is listed. */
  readonly failStartFor = new Set<string>();
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<FakeAws> {
    let fake: FakeAws | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const operation =
          String(req.headers["x-amz-target"] ?? "")
            .split(".")
            .pop() ?? "";
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
        fake!.calls.push({ operation, body, ...(region ? { region } : {}) });
        const [status, reply] = fake!.answer(operation, body);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake = new FakeAws(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  enqueue(body: string, attributes: Record<string, string> = {}): string {
    const id = randomUUID();
    this.queue.push({ MessageId: id, Body: body, attributes, invisibleUntil: 0 });
    return id;
  }

  callsOf(operation: string): Array<Record<string, any>> {
    return this.calls.filter((c) => c.operation === operation).map((c) => c.body);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(operation: string, body: Record<string, any>): [number, unknown] {
    switch (operation) {
      case "ReceiveMessage": {
        const now = Date.now();
        const visible = this.queue.filter((m) => m.invisibleUntil <= now).slice(0, body.MaxNumberOfMessages ?? 1);
        for (const m of visible) {
          m.receiptHandle = randomUUID();
          m.invisibleUntil = now + (body.VisibilityTimeout ?? 30) * 1000;
        }
        return [
          200,
          {
            Messages: visible.map((m) => ({
              MessageId: m.MessageId,
              ReceiptHandle: m.receiptHandle,
              Body: m.Body,
              MD5OfBody: createHash("md5").update(m.Body).digest("hex"),
              MessageAttributes: Object.fromEntries(
                Object.entries(m.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
              ),
            })),
          },
        ];
      }
      case "DeleteMessage": {
        const index = this.queue.findIndex((m) => m.receiptHandle === body.ReceiptHandle);
        if (index < 0) return [400, { __type: "com.amazonaws.sqs#ReceiptHandleIsInvalid", message: "unknown receipt handle" }];
        this.queue.splice(index, 1);
        return [200, {}];
      }
      case "StartExecution": {
        const id = JSON.parse(body.input).id;
        if (this.failStartFor.has(id)) return [400, { __type: "StateMachineDoesNotExist", message: "State Machine Does Not Exist" }];
        return [
          200,
          { executionArn: `${body.stateMachineArn.replace(":stateMachine:", ":execution:")}:${body.name}`, startDate: Date.now() / 1000 },
        ];
      }
      case "PutEvents":
        return [200, { FailedEntryCount: 0, Entries: body.Entries.map(() => ({ EventId: randomUUID() })) }];
      default:
        return [400, { __type: "UnknownOperationException", message: operation }];
    }
  }
}
