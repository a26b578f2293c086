import { createServer, IncomingHttpHeaders, Server } from "node:http";
import { AddressInfo } from "node:net";
import { JsonObject } from "../json-value";

/**
 * The HTTP side of every local AWS endpoint the offline pipeline serves (SQS, the Step Functions callbacks and
 * operations, EventBridge, CloudWatch, the REST API): a loopback server that reads each request's body and
 * X-Amz-Target and hands them to one handler, which answers with a status and a JSON body. The endpoints keep
 * only what is theirs: the operations they serve and the errors the service names.
 */
export interface AwsJsonRequest {
  /** X-Amz-Target, e.g. `AmazonSQS.ReceiveMessage`; empty for a REST request. */
  readonly target: string;
  /** The body as sent. */
  readonly text: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** Answers a request: the status and the body, written as JSON (under the server's content type unless given). */
export type Respond = (status: number, body: unknown, contentType?: string) => void;

export type RequestHandler = (request: AwsJsonRequest, respond: Respond) => void | Promise<void>;

/** One operation of a service (an X-Amz-Target): its JSON body in, a status and a body out. */
export type OperationHandler = (body: JsonObject) => Promise<[status: number, body: unknown]>;

export class AwsJsonServer {
  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`: the endpoint to point an SDK client at. */
    readonly endpoint: string,
  ) {}

  /**
   * Listens on a free loopback port. `contentType` is what the service answers with (AWS JSON 1.0 for SQS and
   * Step Functions, 1.1 for EventBridge and CloudWatch). A handler that throws or rejects is answered with a
   * 500 InternalFailure naming the error, as a service's internal error would be.
   */
  static async start(handle: RequestHandler, contentType = "application/x-amz-json-1.0"): Promise<AwsJsonServer> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        let answered = false;
        const respond: Respond = (status, body, type = contentType) => {
          if (answered) return;
          answered = true;
          res.writeHead(status, { "content-type": type });
          res.end(JSON.stringify(body));
        };
        const request: AwsJsonRequest = {
          target: String(req.headers["x-amz-target"] ?? ""),
          text: Buffer.concat(chunks).toString("utf8"),
          url: req.url ?? "/",
          headers: req.headers,
        };
        const failed = (error: unknown) =>
          respond(500, { __type: "InternalFailure", message: error instanceof Error ? error.message : String(error) });
        try {
          Promise.resolve(handle(request, respond)).catch(failed);
        } catch (error) {
          failed(error);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new AwsJsonServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
