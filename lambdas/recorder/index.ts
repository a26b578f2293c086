import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { Context } from "aws-lambda";
import { classifyFailure, describeError, RecorderTransientError, REFUSED_TOKEN_ERRORS } from "./faults";
import { createLogger } from "./logger";
import {
  FailureCause,
  InvalidRecordError,
  MessageRecord,
  RecorderErrorName,
  SuccessOutput,
  failureCause,
  messageIdOf,
  parseRecord,
  successOutput,
  taskTokenOf,
  toItem,
} from "./record";
import { loadSettings } from "./settings";
import { createTracer, traced } from "./tracing";

/**
 * Each call gets a bounded time, so a hung connection becomes a transient error inside the function's own
 * timeout (5 s) instead of a Lambda timeout: at most 2 attempts of 1 s per call (the handler makes two calls),
 * and `throwOnRequestTimeout`, without which the handler only warns when a request outlasts requestTimeout. What
 * outlasts the SDK's retries is retried by the state machine.
 */
const CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1000, throwOnRequestTimeout: true },
} as const;

// Read once per cold start and reused by every invocation of this execution environment.
const settings = loadSettings(process.env);
const logger = createLogger();
const tracer = createTracer();
const dynamodb = traced(tracer, new DynamoDBClient(CLIENT_CONFIG));
const stepFunctions = traced(tracer, new SFNClient(CLIENT_CONFIG));

/** What the handler did with a task token; returned for the invoke response (the workflow reads the callback). */
export type RecorderResult =
  | { readonly callback: "SendTaskSuccess"; readonly output: SuccessOutput; readonly delivered: boolean }
  | { readonly callback: "SendTaskFailure"; readonly error: RecorderErrorName; readonly cause: FailureCause; readonly delivered: boolean };

/** Without a token (an EXPRESS workflow invoking synchronously), the answer itself is the invoke's result. */
export type DirectAnswer = SuccessOutput | FailureCause;

/**
 * The Lambda entry point. `context` is absent when the handler is called directly (the offline pipeline, tests);
 * given, its request id, cold start and function name go into every log line of this invocation.
 */
export async function handler(input: unknown, context?: Context): Promise<RecorderResult | DirectAnswer> {
  if (context) logger.addContext(context);
  const outcome = await recordMessage(input);
  // One handler for both workflow types, chosen by the payload: a token is answered through Step Functions
  // (STANDARD, callback); without one, the answer is returned (EXPRESS, synchronous invoke).
  const token = taskTokenOf(input);
  if (token === undefined) return outcome;
  return outcome.statusCode === 200 ? succeed(token, outcome) : fail(token, outcome);
}

/**
 * Stores the record once and decides the answer. Throws RecorderTransientError when a transient fault
 * (throttling, 5xx, network) outlasted the SDK's retries: the state machine then retries the task, and the
 * conditional put turns the retry into a duplicate success.
 */
async function recordMessage(input: unknown): Promise<DirectAnswer> {
  const messageId = messageIdOf(input);
  let record: MessageRecord;
  try {
    record = parseRecord(input);
  } catch (error) {
    if (!(error instanceof InvalidRecordError)) throw error;
    logger.warn("rejected an invalid record", { messageId, reason: error.message });
    return failureCause("InvalidRecord", error.message, messageId);
  }

  let duplicate = false;
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: settings.tableName,
        Item: { ...toItem(record) },
        // EventBridge delivers at least once and tasks are retried: the first write wins and a repeat changes nothing.
        ConditionExpression: "attribute_not_exists(messageId)",
        // On a clash DynamoDB returns what is stored, so a repeat (same bytes) is told from a conflict (other bytes).
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      const stored = error.Item?.event?.S;
      if (stored === undefined) {
        logger.error("the conditional put failed but DynamoDB returned no item to compare", { messageId });
        return failureCause(
          "DynamoDBError",
          `ConditionalCheckFailed without the stored item for ${record.messageId}: cannot tell a duplicate from a conflict`,
          messageId,
        );
      }
      if (stored !== record.message) {
        logger.error("another message is already recorded under this id", { messageId });
        return failureCause(
          "MessageConflict",
          `${record.messageId} is already recorded with another message (${Buffer.byteLength(stored, "utf8")} bytes stored, ${Buffer.byteLength(record.message, "utf8")} bytes received); nothing was overwritten`,
          messageId,
        );
      }
      duplicate = true;
    } else if (classifyFailure(error) === "transient") {
      logger.warn("could not store the message yet; the task will be retried", { messageId, reason: describeError(error) });
      throw new RecorderTransientError("PutItem", describeError(error));
    } else {
      logger.error("could not store the message", { messageId, reason: describeError(error) });
      return failureCause("DynamoDBError", describeError(error), messageId);
    }
  }
  logger.info(duplicate ? "message was already recorded" : "recorded the message", { messageId, duplicate });
  return successOutput(record, duplicate);
}

async function succeed(token: string, output: SuccessOutput): Promise<RecorderResult> {
  const delivered = await answer(output.putStatus.messageId, "SendTaskSuccess", () =>
    stepFunctions.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })),
  );
  return { callback: "SendTaskSuccess", output, delivered };
}

async function fail(token: string, cause: FailureCause): Promise<RecorderResult> {
  const delivered = await answer(cause.messageId, "SendTaskFailure", () =>
    stepFunctions.send(new SendTaskFailureCommand({ taskToken: token, error: cause.error, cause: JSON.stringify(cause) })),
  );
  return { callback: "SendTaskFailure", error: cause.error, cause, delivered };
}

/**
 * Sends the one answer for this token. A refusal that names the token (timed out, unknown, already answered)
 * is final: a second answer would be refused too, so it is logged and the invocation ends. Anything else
 * (throttling, 5xx, network) fails the invocation as transient, so the task is retried instead of waiting for
 * its timeout although the message may already be stored.
 */
async function answer(messageId: string | undefined, callback: string, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    const refused = error instanceof Error && REFUSED_TOKEN_ERRORS.has(error.name);
    if (!refused && classifyFailure(error) === "transient") {
      logger.warn(`${callback} could not be sent yet; the task will be retried`, { messageId, reason: describeError(error) });
      throw new RecorderTransientError(callback, describeError(error));
    }
    logger.error(`${callback} was not accepted`, { messageId, reason: describeError(error) });
    return false;
  }
}
