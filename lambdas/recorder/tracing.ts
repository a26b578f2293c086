import type { Tracer } from "@aws-lambda-powertools/tracer";
import { SERVICE_NAME } from "./logger";

/**
 * X-Ray tracing for the SDK clients, or undefined where nothing would be traced: outside Lambda (no
 * AWS_EXECUTION_ENV) or with POWERTOOLS_TRACE_ENABLED=false, the rule Powertools' Tracer applies to itself.
 * There the X-Ray SDK is not even loaded: loading it installs a process-wide async hook (cls-hooked) that
 * every promise pays for, traced or not. Where it is loaded and the invocation carries no sampled
 * `_X_AMZN_TRACE_ID`, the X-Ray SDK records nothing and sends nothing to the daemon.
 */
export function createTracer(env: Readonly<Record<string, string | undefined>> = process.env): Tracer | undefined {
  if (!env.AWS_EXECUTION_ENV || env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === "false") return undefined;
  // A require, not an import, so that the bundle evaluates the X-Ray SDK only on this path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Tracer: PowertoolsTracer } = require("@aws-lambda-powertools/tracer") as typeof import("@aws-lambda-powertools/tracer");
  // The SDK clients are the only outbound calls and captureAWSv3Client records them; patching http, https and
  // fetch process-wide as well would only add work to each request.
  return new PowertoolsTracer({ serviceName: SERVICE_NAME, captureHTTPsRequests: false });
}

/** Records each call of the client as an X-Ray subsegment when there is a tracer; the client is returned as given otherwise. */
export function traced<Client>(tracer: Tracer | undefined, client: Client): Client {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}
