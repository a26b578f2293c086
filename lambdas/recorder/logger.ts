import { Logger } from "@aws-lambda-powertools/logger";

/** The `service` key of every log line and the service name of the traces. */
export const SERVICE_NAME = "message-recorder";

/**
 * The recorder's one logger (Powertools): one JSON line per call with `level`, `message`, `timestamp` and
 * `service`; once `addContext(context)` ran, also `function_request_id`, `cold_start`, `function_name`,
 * `function_arn`, `function_memory_size`, and `xray_trace_id` whenever Lambda set `_X_AMZN_TRACE_ID`.
 *
 * No level is given here on purpose: Powertools takes AWS_LAMBDA_LOG_LEVEL first (FATAL counts as CRITICAL),
 * which Lambda sets from the function's application log level, so the function's logging config stays the one
 * switch. Token and message body are never logged: they are secrets and customer data.
 */
export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}
