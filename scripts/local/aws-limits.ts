/**
 * The AWS limits the offline pipeline enforces, each as AWS documents it, in one table: the offline run must
 * refuse what AWS refuses, and raise the error AWS raises, or the tests cannot catch a limit bug.
 */
export const AWS_LIMITS = {
  /**
   * A PutEvents entry: Time (14 bytes when given), Source, DetailType, Detail and each Resources entry, in UTF-8
   * bytes, at most 256 KB. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
   */
  putEventsEntryBytes: 262_144,
  /**
   * Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
   * encoded string"; past it, States.DataLimitExceeded, which no Retry or Catch (not even States.ALL) sees.
   * StartExecution refuses a larger input outright. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
   * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
   */
  stepFunctionsPayloadBytes: 262_144,
  /**
   * An SQS message, up to the queue's MaximumMessageSize, whose default (the one our queues keep) is 262,144 bytes.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
   */
  sqsDefaultMaximumMessageBytes: 262_144,
  /** A DynamoDB item, attribute names and values: 400 KB. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items */
  dynamodbItemBytes: 409_600,
  /** A task token's answer (SendTaskSuccess output): 256 KiB. https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html */
  sendTaskSuccessOutputBytes: 262_144,
  /**
   * An execution name: 1 to 80 characters, none of whitespace, `< > { } [ ]`, `? *`, `" # % \ ^ | ~ \` $ & , ; : /`
   * or control characters. https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
   */
  executionNameLength: 80,
} as const;

/** Characters an execution name must not contain (API_StartExecution, `name`). */
// eslint-disable-next-line no-control-regex -- the control characters are the point: Step Functions refuses them in a name.
const FORBIDDEN_IN_EXECUTION_NAMES = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** The size EventBridge counts for a PutEvents entry. */
export function putEventsEntryBytes(entry: {
  Time?: unknown;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: readonly string[];
}): number {
  return (
    (entry.Time !== undefined ? 14 : 0) +
    utf8Bytes(entry.Source ?? "") +
    utf8Bytes(entry.DetailType ?? "") +
    utf8Bytes(entry.Detail ?? "") +
    (entry.Resources ?? []).reduce((total, resource) => total + utf8Bytes(resource), 0)
  );
}

/** Why Step Functions refuses an execution name, or undefined when it accepts it. */
export function executionNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > AWS_LIMITS.executionNameLength)
    return `must be 1 to ${AWS_LIMITS.executionNameLength} characters, has ${name.length}`;
  if (FORBIDDEN_IN_EXECUTION_NAMES.test(name)) return "contains a character execution names must not contain";
  return undefined;
}

/** What a payload over Step Functions' limit raises, as the service words it. */
export class DataLimitExceeded extends Error {
  constructor(what: string, bytes: number) {
    super(
      `The ${what} size of ${bytes} bytes exceeds the maximum number of bytes service limit (${AWS_LIMITS.stepFunctionsPayloadBytes}).`,
    );
    this.name = "States.DataLimitExceeded";
  }
}
