import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { JsonObject } from "../json-value";

/**
 * The parts of AWS the operator commands call that the offline pipeline did not serve yet, on one loopback HTTP
 * endpoint: EventBridge PutEvents, CloudWatch Logs FilterLogEvents and CloudWatch DescribeAlarms (each over the
 * AWS JSON protocol its SDK client speaks, told apart by X-Amz-Target), and the REST API's `POST /<stage>/messages`.
 * The handlers are the pipeline's; this only speaks the protocols.
 */
export type AwsJsonHandler = (body: JsonObject) => Promise<[status: number, body: unknown]>;
export type RestHandler = (path: string, body: string, headers: IncomingMessage["headers"]) => Promise<[status: number, body: unknown]>;

export class LocalAwsEndpoints {
  private readonly handlers = new Map<string, AwsJsonHandler>();
  private rest?: RestHandler;
  private server?: Server;
  private url?: string;

  /** Serves an AWS JSON operation by its X-Amz-Target, e.g. `AWSEvents.PutEvents`. */
  serve(target: string, handler: AwsJsonHandler): this {
    this.handlers.set(target, handler);
    return this;
  }

  /** Serves every request that carries no X-Amz-Target (the REST API). */
  serveRest(handler: RestHandler): this {
    this.rest = handler;
    return this;
  }

  get endpoint(): string {
    if (!this.url) throw new Error("the local AWS endpoint is not started");
    return this.url;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const target = String(req.headers["x-amz-target"] ?? "");
      const answer = async (): Promise<[number, unknown]> => {
        if (!target) return this.rest ? this.rest(req.url ?? "/", text, req.headers) : [404, { message: "no REST API is served" }];
        const handler = this.handlers.get(target);
        if (!handler) return [400, { __type: "UnknownOperationException", message: `not served locally: ${target}` }];
        return handler(JSON.parse(text || "{}") as JsonObject);
      };
      answer().then(
        ([status, body]) => reply(res, status, body, target ? "application/x-amz-json-1.1" : "application/json"),
        (error: Error) => reply(res, 500, { __type: "InternalFailure", message: error.message }, "application/x-amz-json-1.1"),
      );
    });
  }
}

function reply(res: ServerResponse, status: number, body: unknown, contentType: string): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(JSON.stringify(body));
}
