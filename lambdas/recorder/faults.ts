/**
 * Transient or permanent: decided once, here, for every failure the recorder can meet. Pure, so each rule is
 * testable with a plain object shaped like the SDK's errors.
 *
 * - Transient: the same call may succeed later (throttling, 5xx, a network failure, a timeout). The invocation
 *   fails with RecorderTransientError, which the state machine retries with backoff and jitter; the retried
 *   invocation finds the item already written (conditional put) and answers success.
 * - Permanent: retrying cannot help (an invalid record, an item too large, a missing table, access denied).
 *   The task is failed at once with SendTaskFailure, and the failed execution is captured for an operator.
 */
export type FailureKind = "transient" | "permanent";

/** The error name the state machine's Retry matches (asl/record-message.asl.json). */
export const TRANSIENT_ERROR_NAME = "RecorderTransientError";

/**
 * Error names AWS services use for throttling and server-side faults. DynamoDB: "Error handling with DynamoDB"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html) lists
 * ProvisionedThroughputExceeded, RequestLimitExceeded, ThrottlingException, InternalServerError and
 * TransactionConflict as retryable; the rest are generic AWS/SDK names for the same situations.
 */
const TRANSIENT_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TransactionConflictException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  // Step Functions' task-response APIs answer a throttled KMS call with HTTP 400 and this name.
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
  "KmsThrottlingException",
]);

/** Node.js socket errors: the request never got an answer, so it may not have been processed. */
const TRANSIENT_SOCKET_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "ECONNABORTED"]);

/** Answers Step Functions gives to a callback for a token that can no longer be answered: retrying is useless. */
export const REFUSED_TOKEN_ERRORS = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken", "InvalidOutput"]);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: unknown;
}

export function classifyFailure(error: unknown): FailureKind {
  if (typeof error !== "object" || error === null) return "permanent";
  const shape = error as ErrorShape;
  if (typeof shape.name === "string" && TRANSIENT_NAMES.has(shape.name)) return "transient";
  if (typeof shape.code === "string" && TRANSIENT_SOCKET_CODES.has(shape.code)) return "transient";
  if (shape.$retryable) return "transient";
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === "number") return status >= 500 || status === 429 ? "transient" : "permanent";
  // An error with no HTTP status never reached the service (or its answer was lost): the call may be repeated.
  return "$metadata" in shape || "code" in shape ? "transient" : "permanent";
}

/** Fails the invocation so that the state machine retries the task; carries what failed, never customer data. */
export class RecorderTransientError extends Error {
  constructor(operation: string, reason: string) {
    super(`${operation} failed transiently: ${reason}`);
    this.name = TRANSIENT_ERROR_NAME;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
