import { IncomingHttpHeaders } from "node:http";
import { JsonObject } from "../json-value";
import { AwsJsonRequest, AwsJsonServer, OperationHandler, Respond } from "./aws-json-server";

/**
 * The parts of AWS the operator commands call that the offline pipeline did not serve yet, on one loopback HTTP
 * endpoint: EventBridge PutEvents, CloudWatch Logs FilterLogEvents and CloudWatch DescribeAlarms (each over the
 * AWS JSON protocol its SDK client speaks, told apart by X-Amz-Target), and the REST API's `POST /<stage>/messages`.
 * The handlers are the pipeline's; this only speaks the protocols.
 */
export type RestHandler = (path: string, body: string, headers: IncomingHttpHeaders) => Promise<[status: number, body: unknown]>;

export class LocalAwsEndpoints {
  private readonly handlers = new Map<string, OperationHandler>();
  private rest?: RestHandler;
  private server?: AwsJsonServer;

  /** Serves an AWS JSON operation by its X-Amz-Target, e.g. `AWSEvents.PutEvents`. */
  serve(target: string, handler: OperationHandler): this {
    this.handlers.set(target, handler);
    return this;
  }

  /** Serves every request that carries no X-Amz-Target (the REST API). */
  serveRest(handler: RestHandler): this {
    this.rest = handler;
    return this;
  }

  get endpoint(): string {
    if (!this.server) throw new Error("the local AWS endpoint is not started");
    return this.server.endpoint;
  }

  async start(): Promise<this> {
    this.server = await AwsJsonServer.start((request, respond) => this.handle(request, respond), "application/x-amz-json-1.1");
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private handle(request: AwsJsonRequest, respond: Respond): Promise<void> {
    const { target, text } = request;
    const answer = async (): Promise<[number, unknown]> => {
      if (!target) return this.rest ? this.rest(request.url, text, request.headers) : [404, { message: "no REST API is served" }];
      const handler = this.handlers.get(target);
      if (!handler) return [400, { __type: "UnknownOperationException", message: `not served locally: ${target}` }];
      return handler(JSON.parse(text || "{}") as JsonObject);
    };
    return answer().then(([status, body]) => respond(status, body, target ? undefined : "application/json"));
  }
}
