import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
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

// Read once per cold start and reused by every invocation of this execution environment.
const settings = loadSettings(process.env);
const dynamodb = new DynamoDBClient({});
const stepFunctions = new SFNClient({});
const logger = createLogger();

/** What the handler did; returned for the invoke response (the workflow reads the callback, not this). */
export type RecorderResult =
  | { readonly callback: "SendTaskSuccess"; readonly output: SuccessOutput; readonly delivered: boolean }
  | { readonly callback: "SendTaskFailure"; readonly error: RecorderErrorName; readonly cause: FailureCause; readonly delivered: boolean };

export class MissingTaskTokenError extends Error {
  constructor() {
    super("the input has no MyTaskToken: the workflow cannot be answered; is the task using lambda:invoke.waitForTaskToken with \"MyTaskToken.$\": \"$$.Task.Token\"?");
    this.name = "MissingTaskTokenError";
  }
}

export async function handler(input: unknown): Promise<RecorderResult> {
  const token = taskTokenOf(input);
  if (token === undefined) throw new MissingTaskTokenError();
  const messageId = messageIdOf(input);

  let record: MessageRecord;
  try {
    record = parseRecord(input);
  } catch (error) {
    if (!(error instanceof InvalidRecordError)) throw error;
    logger.warn("rejected an invalid record", { messageId, reason: error.message });
    return fail(token, failureCause("InvalidRecord", error.message, messageId));
  }

  let duplicate = false;
  try {
    await dynamodb.send(new PutItemCommand({
      TableName: settings.tableName,
      Item: { ...toItem(record) },
      // EventBridge delivers at least once: the first write wins and a redelivery changes nothing.
      ConditionExpression: "attribute_not_exists(messageId)",
    }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      duplicate = true;
    } else {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.error("could not store the message", { messageId, reason });
      return fail(token, failureCause("DynamoDBError", reason, messageId));
    }
  }
  logger.info(duplicate ? "message was already recorded" : "recorded the message", { messageId, duplicate });
  return succeed(token, successOutput(record, duplicate));
}

async function succeed(token: string, output: SuccessOutput): Promise<RecorderResult> {
  const delivered = await answer(output.putStatus.messageId, "SendTaskSuccess", () =>
    stepFunctions.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
  return { callback: "SendTaskSuccess", output, delivered };
}

async function fail(token: string, cause: FailureCause): Promise<RecorderResult> {
  const delivered = await answer(cause.messageId, "SendTaskFailure", () =>
    stepFunctions.send(new SendTaskFailureCommand({ taskToken: token, error: cause.error, cause: JSON.stringify(cause) })));
  return { callback: "SendTaskFailure", error: cause.error, cause, delivered };
}

/**
 * Sends the one answer for this token. If Step Functions refuses it (token expired, unknown, already
 * answered), a second answer would be refused too: log it and stop. The SDK has already retried what was
 * transient.
 */
async function answer(messageId: string | undefined, callback: string, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.error(`${callback} was not accepted`, { messageId, reason });
    return false;
  }
}
