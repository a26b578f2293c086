/**
 * Pure logic of the recorder: what a task input must look like, the item it becomes, and the answers sent back
 * through the task token. No I/O here, so every rule is testable without a client or a mock.
 */

/** The payload the "Record Message" state sends (see asl/record-message.asl.json). */
export interface RecordMessageTask {
  readonly MyTaskToken?: unknown;
  readonly Record?: unknown;
}

/** A record that passed validation. */
export interface MessageRecord {
  readonly messageId: string;
  /** The event time as given (ISO 8601). */
  readonly createdAt: string;
  /** Epoch milliseconds of `createdAt`. */
  readonly createdAtMillis: number;
  /** The message, parsed from `detail.message` by the state machine. */
  readonly event: unknown;
}

/** The DynamoDB item, in the attribute-value form PutItem takes. */
export interface MessageItem {
  readonly messageId: { readonly S: string };
  readonly createdAt: { readonly N: string };
  readonly event: { readonly S: string };
}

/** Sent with SendTaskSuccess. */
export interface SuccessOutput {
  readonly statusCode: 200;
  readonly putStatus: {
    readonly messageId: string;
    readonly createdAt: number;
    /** True when the message had been recorded before: the stored item was left as it was. */
    readonly duplicate: boolean;
  };
}

/** Sent as the cause of SendTaskFailure (JSON). */
export interface FailureCause {
  readonly statusCode: 500;
  readonly error: RecorderErrorName;
  readonly message: string;
  readonly messageId?: string;
}

export type RecorderErrorName = "InvalidRecord" | "DynamoDBError";

export class InvalidRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRecordError";
  }
}

/** DynamoDB's partition key limit. */
const MAX_MESSAGE_ID_BYTES = 2048;
/** ISO 8601 date-time with an explicit offset, as EventBridge writes `time`. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The task token, or undefined when the input carries none (then nothing can be answered). */
export function taskTokenOf(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const token = (input as RecordMessageTask).MyTaskToken;
  return typeof token === "string" && token.length > 0 ? token : undefined;
}

/** The messageId, if one can be read, so that even a rejected record is logged with it. */
export function messageIdOf(input: unknown): string | undefined {
  const record = typeof input === "object" && input !== null ? (input as RecordMessageTask).Record : undefined;
  const id = typeof record === "object" && record !== null ? (record as { messageId?: unknown }).messageId : undefined;
  return typeof id === "string" ? id : undefined;
}

/** Validates the `Record` of a task input. Throws InvalidRecordError naming the first bad field. */
export function parseRecord(input: unknown): MessageRecord {
  const record = typeof input === "object" && input !== null ? (input as RecordMessageTask).Record : undefined;
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new InvalidRecordError("Record: missing or not an object");
  }
  const { messageId, createdAt, event } = record as Record<string, unknown>;
  if (typeof messageId !== "string" || messageId.trim() === "") {
    throw new InvalidRecordError("Record.messageId: missing or not a non-empty string");
  }
  if (Buffer.byteLength(messageId, "utf8") > MAX_MESSAGE_ID_BYTES) {
    throw new InvalidRecordError(`Record.messageId: longer than ${MAX_MESSAGE_ID_BYTES} bytes`);
  }
  if (typeof createdAt !== "string" || !ISO_DATE_TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    throw new InvalidRecordError(`Record.createdAt: ${JSON.stringify(createdAt ?? null)} is not an ISO 8601 date-time such as 2022-04-16T12:20:00Z`);
  }
  if (event === undefined || event === null) {
    throw new InvalidRecordError("Record.event: missing");
  }
  return { messageId, createdAt, createdAtMillis: Date.parse(createdAt), event };
}

export function toItem(record: MessageRecord): MessageItem {
  return {
    messageId: { S: record.messageId },
    createdAt: { N: String(record.createdAtMillis) },
    event: { S: JSON.stringify(record.event) },
  };
}

export function successOutput(record: MessageRecord, duplicate: boolean): SuccessOutput {
  return { statusCode: 200, putStatus: { messageId: record.messageId, createdAt: record.createdAtMillis, duplicate } };
}

export function failureCause(error: RecorderErrorName, message: string, messageId?: string): FailureCause {
  return { statusCode: 500, error, message, ...(messageId !== undefined ? { messageId } : {}) };
}
