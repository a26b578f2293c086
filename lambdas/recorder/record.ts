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
  /**
   * The item's key: the event id, or `idempotency-key:<key>` when the producer gave an idempotency key, so every
   * event sent with that key is the same record.
   */
  readonly messageId: string;
  /** The event's id, stored beside a record keyed by an idempotency key. */
  readonly eventId: string;
  /** The event time as given (ISO 8601). */
  readonly createdAt: string;
  /** Epoch milliseconds of `createdAt`. */
  readonly createdAtMillis: number;
  /** The message, parsed from `detail.message` here (a JSON object or array). */
  readonly event: unknown;
  /** `detail.message` exactly as published: what is stored, so no number is rounded and no key reordered. */
  readonly message: string;
}

/** The DynamoDB item, in the attribute-value form PutItem takes (a type alias, so Object.entries types its values). */
export type MessageItem = {
  readonly messageId: { readonly S: string };
  readonly createdAt: { readonly N: string };
  readonly event: { readonly S: string };
  /** Only for a record keyed by an idempotency key: the id of the event that recorded it first. */
  readonly eventId?: { readonly S: string };
};

/** What a record keyed by a producer's idempotency key is called in the table. */
export const IDEMPOTENCY_KEY_PREFIX = "idempotency-key:";
/** The producer's idempotency key: 1 to 128 of A-Z a-z 0-9 _ . : - (the API's and send's rule). */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The table key an event is recorded under: `idempotency-key:<key>` when its detail carries an idempotency key,
 * its id otherwise. Redrive and reconcile look events up by it.
 */
export function recordIdOf(event: { id?: unknown; detail?: unknown }): string | undefined {
  const key =
    typeof event.detail === "object" && event.detail !== null ? (event.detail as { idempotencyKey?: unknown }).idempotencyKey : undefined;
  if (typeof key === "string") return `${IDEMPOTENCY_KEY_PREFIX}${key}`;
  return typeof event.id === "string" ? event.id : undefined;
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

/**
 * Permanent failures only: transient ones fail the invocation instead (see faults.ts). MessageConflict: the table
 * holds another message under the same id.
 */
export type RecorderErrorName = "InvalidRecord" | "DynamoDBError" | "MessageConflict";

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
/** RFC 3339 date-time with an explicit offset, as EventBridge writes `time`: its parts, checked one by one below. */
const RFC3339_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;
/**
 * How deep a message may nest (objects and arrays within each other). Deeper JSON is refused before it is
 * parsed, so no message can exhaust the parser's stack; real messages nest a few levels.
 */
export const MAX_MESSAGE_DEPTH = 64;

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
  const { messageId, createdAt, event, detail } = record as Record<string, unknown>;
  if (typeof messageId !== "string" || messageId.trim() === "") {
    throw new InvalidRecordError("Record.messageId: missing or not a non-empty string");
  }
  if (Buffer.byteLength(messageId, "utf8") > MAX_MESSAGE_ID_BYTES) {
    throw new InvalidRecordError(`Record.messageId: longer than ${MAX_MESSAGE_ID_BYTES} bytes`);
  }
  const createdAtMillis = epochMillisOf(createdAt);
  if (typeof createdAt !== "string") throw new InvalidRecordError("Record.createdAt: not a string");
  // The workflow passes the event's detail (its message, and the producer's idempotency key when there is one);
  // executions of earlier definitions pass Record.message (and Record.event).
  if (detail !== undefined && (typeof detail !== "object" || detail === null || Array.isArray(detail))) {
    throw new InvalidRecordError("Record.detail: not an object");
  }
  const fromDetail = detail as { message?: unknown; idempotencyKey?: unknown } | undefined;
  const message = fromDetail ? fromDetail.message : (record as Record<string, unknown>).message;
  const key = fromDetail?.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || !IDEMPOTENCY_KEY.test(key))) {
    throw new InvalidRecordError(`Record.detail.idempotencyKey: ${JSON.stringify(key)} is not 1 to 128 characters of A-Z a-z 0-9 _ . : -`);
  }
  if (message !== undefined && typeof message !== "string") {
    throw new InvalidRecordError(`${fromDetail ? "Record.detail.message" : "Record.message"}: not a string (the raw detail.message)`);
  }
  // Both workflows pass only the raw message: parsing it in the state machine (States.StringToJson) would fail
  // with States.Runtime, which no Catch sees, and carry the message twice; here a message that is not a JSON
  // object or array is an InvalidRecord like any other.
  if (event === undefined && message === undefined) {
    throw new InvalidRecordError(`${fromDetail ? "Record.detail.message" : "Record.message"}: missing`);
  }
  // An execution started by an earlier definition (Record.event, parsed by the state machine, with or without
  // the raw message) may still be running during a deploy: it is recorded as that definition recorded it.
  const raw = typeof message === "string" ? message : JSON.stringify(event);
  const parsedEvent = typeof message === "string" ? parseMessage(message) : event;
  if (parsedEvent === null || typeof parsedEvent !== "object")
    throw new InvalidRecordError("Record.event: missing or not a JSON object or array");
  const recordId = typeof key === "string" ? `${IDEMPOTENCY_KEY_PREFIX}${key}` : messageId;
  const parsed = { messageId: recordId, eventId: messageId, createdAt, createdAtMillis, event: parsedEvent, message: raw };
  const size = itemBytes(toItem(parsed));
  if (size > MAX_ITEM_BYTES) {
    throw new InvalidRecordError(`Record.message: the item would be ${size} bytes, above DynamoDB's ${MAX_ITEM_BYTES}-byte item limit`);
  }
  return parsed;
}

/** A message is a JSON object or array of at most MAX_MESSAGE_DEPTH levels; anything else is an InvalidRecord. */
function parseMessage(message: string): unknown {
  const depth = nestingDepth(message);
  if (depth > MAX_MESSAGE_DEPTH) throw new InvalidRecordError(`Record.message: nests ${depth} levels deep, more than ${MAX_MESSAGE_DEPTH}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new InvalidRecordError("Record.message: not JSON");
  }
  if (parsed === null || typeof parsed !== "object") {
    throw new InvalidRecordError(`Record.message: a JSON ${parsed === null ? "null" : typeof parsed}, not an object or array`);
  }
  return parsed;
}

/** The deepest nesting of brackets outside strings: one pass over the text, no recursion. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) deepest = Math.max(deepest, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return deepest;
}

/**
 * Epoch milliseconds of an RFC 3339 date-time, or an InvalidRecord: the date must exist (2022-02-30 is refused,
 * not rolled over to March as Date.parse does), hours 00-23, minutes and seconds 00-59 (a leap second, :60,
 * cannot be stored as epoch milliseconds and is refused), an offset of at most 23:59. Fractional seconds past
 * the millisecond are truncated; an offset is applied, so the same instant always gives the same number.
 */
export function epochMillisOf(createdAt: unknown): number {
  const refuse = (why: string) => new InvalidRecordError(`Record.createdAt: ${JSON.stringify(createdAt ?? null)} ${why}`);
  const parts = typeof createdAt === "string" ? RFC3339_DATE_TIME.exec(createdAt) : null;
  if (!parts) throw refuse("is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z");
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number);
  const fraction = parts[7] ? Math.floor(Number(`0${parts[7]}`) * 1000) : 0;
  const offsetMinutes = parts[8] === "Z" ? 0 : (parts[9] === "-" ? -1 : 1) * (Number(parts[10]) * 60 + Number(parts[11]));
  if (hour > 23 || minute > 59 || second > 59) throw refuse("is not a time of day (a leap second cannot be stored)");
  if (Number(parts[10] ?? 0) > 23 || Number(parts[11] ?? 0) > 59) throw refuse("has an offset beyond 23:59");
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (month < 1 || month > 12 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw refuse("is not a date that exists");
  }
  date.setUTCHours(hour, minute, second, fraction);
  return date.getTime() - offsetMinutes * 60_000;
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
    ...(record.messageId !== record.eventId ? { eventId: { S: record.eventId } } : {}),
  };
}

export function successOutput(record: MessageRecord, duplicate: boolean): SuccessOutput {
  return { statusCode: 200, putStatus: { messageId: record.messageId, createdAt: record.createdAtMillis, duplicate } };
}

export function failureCause(error: RecorderErrorName, message: string, messageId?: string): FailureCause {
  return { statusCode: 500, error, message, ...(messageId !== undefined ? { messageId } : {}) };
}
