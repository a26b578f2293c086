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
  /** The message, parsed from `detail.message` by the state machine (States.StringToJson). */
  readonly event: unknown;
  /** `detail.message` exactly as published: what is stored, so no number is rounded and no key reordered. */
  readonly message: string;
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

/** Permanent failures only: transient ones fail the invocation instead (see faults.ts). */
export type RecorderErrorName = "InvalidRecord" | "DynamoDBError";

export class InvalidRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRecordError";
  }
}

/** DynamoDB's partition key limit. */
const MAX_MESSAGE_ID_BYTES = 2048;
/**
 * DynamoDB's item size limit, 400 KB, counting attribute names and values
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
 */
export const MAX_ITEM_BYTES = 400 * 1024;
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
  const { message } = record as Record<string, unknown>;
  if (message !== undefined && typeof message !== "string") {
    throw new InvalidRecordError("Record.message: not a string (the raw detail.message)");
  }
  // The EXPRESS workflow passes only the raw message: parsing it in the state machine could fail with
  // States.Runtime, which no Catch sees; here a message that is not JSON is an InvalidRecord like any other.
  if (event === undefined && typeof message === "string") {
    return parseRecord({ Record: { ...(record as object), event: parseMessage(message) } });
  }
  if (event === undefined || event === null) {
    throw new InvalidRecordError("Record.event: missing");
  }
  // An execution started by the previous definition (before Record.message existed) may still be running
  // during a deploy: it is recorded as that definition recorded it, rather than failed.
  const raw = message ?? JSON.stringify(event);
  const parsed = { messageId, createdAt, createdAtMillis: Date.parse(createdAt), event, message: raw };
  const size = itemBytes(toItem(parsed));
  if (size > MAX_ITEM_BYTES) {
    throw new InvalidRecordError(`Record.message: the item would be ${size} bytes, above DynamoDB's ${MAX_ITEM_BYTES}-byte item limit`);
  }
  return parsed;
}

function parseMessage(message: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new InvalidRecordError("Record.message: not JSON");
  }
  if (parsed === null) throw new InvalidRecordError("Record.message: JSON null, nothing to record");
  return parsed;
}

/** The size DynamoDB counts for an item: UTF-8 bytes of attribute names and values (a number as its text, an upper bound). */
function itemBytes(item: MessageItem): number {
  return Object.entries(item).reduce((total, [name, value]) => {
    const text = "S" in value ? value.S : value.N;
    return total + Buffer.byteLength(name, "utf8") + Buffer.byteLength(text, "utf8");
  }, 0);
}

export function toItem(record: MessageRecord): MessageItem {
  return {
    messageId: { S: record.messageId },
    createdAt: { N: String(record.createdAtMillis) },
    event: { S: record.message },
  };
}

export function successOutput(record: MessageRecord, duplicate: boolean): SuccessOutput {
  return { statusCode: 200, putStatus: { messageId: record.messageId, createdAt: record.createdAtMillis, duplicate } };
}

export function failureCause(error: RecorderErrorName, message: string, messageId?: string): FailureCause {
  return { statusCode: 500, error, message, ...(messageId !== undefined ? { messageId } : {}) };
}
