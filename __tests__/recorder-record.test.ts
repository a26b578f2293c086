import {
  epochMillisOf,
  failureCause,
  InvalidRecordError,
  MAX_ITEM_BYTES,
  MAX_MESSAGE_DEPTH,
  messageIdOf,
  nestingDepth,
  parseRecord,
  successOutput,
  taskTokenOf,
  toItem,
} from "../lambdas/recorder/record";

const valid = {
  MyTaskToken: "token-1",
  Record: { messageId: "cdd51245-987a-b3c7-eecf-6d6d63046073", createdAt: "2022-04-16T12:20:00Z", event: { hello: "world" } },
};

describe("recorder record rules", () => {
  test("a valid record becomes the stored item: createdAt in epoch milliseconds, event as a JSON string", () => {
    expect(toItem(parseRecord(valid))).toEqual({
      messageId: { S: "cdd51245-987a-b3c7-eecf-6d6d63046073" },
      createdAt: { N: "1650111600000" },
      event: { S: '{"hello":"world"}' },
    });
  });

  test("the stored event is the raw message byte for byte: big numbers, key order and spacing kept", () => {
    const raw = '{ "amount": 12345678901234567890, "b": 1, "a": 0.10 }';
    const record = parseRecord({ Record: { ...valid.Record, event: JSON.parse(raw), message: raw } });
    expect(toItem(record).event).toEqual({ S: raw });
    expect(JSON.stringify(record.event)).not.toBe(raw);
  });

  test("a record without the raw message (from a definition still running during a deploy) stores the event as JSON", () => {
    expect(toItem(parseRecord(valid)).event).toEqual({ S: '{"hello":"world"}' });
  });

  test("rejects a raw message that is not a string", () => {
    expect(() => parseRecord({ Record: { ...valid.Record, message: { hello: "world" } } })).toThrow(
      new InvalidRecordError("Record.message: not a string (the raw detail.message)"),
    );
  });

  test("rejects a message whose item would exceed DynamoDB's 400 KB item limit, naming the size", () => {
    const raw = JSON.stringify({ text: "x".repeat(MAX_ITEM_BYTES) });
    expect(() => parseRecord({ Record: { ...valid.Record, event: {}, message: raw } })).toThrow(
      /^Record\.message: the item would be 409\d{3} bytes, above DynamoDB's 409600-byte item limit$/,
    );
  });

  test("an offset and fractional seconds in createdAt are honoured", () => {
    const record = parseRecord({ Record: { ...valid.Record, createdAt: "2022-04-16T14:20:00.250+02:00" } });
    expect(record.createdAtMillis).toBe(1650111600250);
  });

  test("a message that is a JSON array is recorded as it is", () => {
    expect(toItem(parseRecord({ Record: { ...valid.Record, message: "[1, 2]" } })).event).toEqual({ S: "[1, 2]" });
  });

  test("the raw message alone (the payload of both workflows) is parsed here and stored byte for byte", () => {
    const raw = '{"a": 1}';
    const record = parseRecord({ Record: { messageId: "m", createdAt: "2022-04-16T12:20:00Z", message: raw } });
    expect(record.event).toEqual({ a: 1 });
    expect(toItem(record).event).toEqual({ S: raw });
  });

  test.each([
    ["a JSON string", '"plain"', "Record.message: a JSON string, not an object or array"],
    ["a JSON number", "42", "Record.message: a JSON number, not an object or array"],
    ["JSON null", "null", "Record.message: a JSON null, not an object or array"],
    ["text that is not JSON", "{hello", "Record.message: not JSON"],
    [
      `a message nested ${MAX_MESSAGE_DEPTH + 1} levels deep`,
      `${"[".repeat(MAX_MESSAGE_DEPTH + 1)}${"]".repeat(MAX_MESSAGE_DEPTH + 1)}`,
      `Record.message: nests ${MAX_MESSAGE_DEPTH + 1} levels deep, more than ${MAX_MESSAGE_DEPTH}`,
    ],
    [
      "a message nested 10,000 levels deep",
      `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
      `Record.message: nests 10000 levels deep, more than ${MAX_MESSAGE_DEPTH}`,
    ],
  ])("rejects %s as a message", (_case, message, reason) => {
    expect(() => parseRecord({ Record: { ...valid.Record, message } })).toThrow(new InvalidRecordError(reason));
  });

  test(`accepts a message nested exactly ${MAX_MESSAGE_DEPTH} levels, brackets inside strings not counted`, () => {
    const deepest = `${"[".repeat(MAX_MESSAGE_DEPTH)}${"]".repeat(MAX_MESSAGE_DEPTH)}`;
    expect(parseRecord({ Record: { ...valid.Record, message: deepest } }).message).toBe(deepest);
    expect(nestingDepth(JSON.stringify({ text: '[[[[{{{{\\"' }))).toBe(1);
  });

  test.each([
    ["2022-04-16T12:20:00Z", 1650111600000],
    ["2022-04-16T14:20:00+02:00", 1650111600000],
    ["2022-04-16T07:50:00-04:30", 1650111600000],
    ["2022-04-16T12:20:00.123456789Z", 1650111600123],
    ["2024-02-29T00:00:00Z", 1709164800000],
    ["0099-01-01T00:00:00Z", -59042995200000],
  ])("the date-time %s is the instant %d (offsets applied, fractions truncated to the millisecond)", (createdAt, millis) => {
    expect(epochMillisOf(createdAt)).toBe(millis);
  });

  test.each([
    ["no Record", {}, "Record: missing or not an object"],
    ["a Record that is an array", { Record: [] }, "Record: missing or not an object"],
    ["no messageId", { Record: { createdAt: "2022-04-16T12:20:00Z", event: {} } }, "Record.messageId: missing or not a non-empty string"],
    [
      "a blank messageId",
      { Record: { messageId: "  ", createdAt: "2022-04-16T12:20:00Z", event: {} } },
      "Record.messageId: missing or not a non-empty string",
    ],
    [
      "a numeric messageId",
      { Record: { messageId: 42, createdAt: "2022-04-16T12:20:00Z", event: {} } },
      "Record.messageId: missing or not a non-empty string",
    ],
    [
      "a messageId over 2048 bytes",
      { Record: { messageId: "é".repeat(1025), createdAt: "2022-04-16T12:20:00Z", event: {} } },
      "Record.messageId: longer than 2048 bytes",
    ],
    [
      "no createdAt",
      { Record: { messageId: "m", event: {} } },
      "Record.createdAt: null is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z",
    ],
    [
      "an unparseable createdAt",
      { Record: { messageId: "m", createdAt: "yesterday", event: {} } },
      'Record.createdAt: "yesterday" is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z',
    ],
    [
      "a createdAt without an offset",
      { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00", event: {} } },
      'Record.createdAt: "2022-04-16T12:20:00" is not an RFC 3339 date-time such as 2022-04-16T12:20:00Z',
    ],
    [
      "a month that does not exist",
      { Record: { messageId: "m", createdAt: "2022-13-45T12:20:00Z", event: {} } },
      'Record.createdAt: "2022-13-45T12:20:00Z" is not a date that exists',
    ],
    [
      "the 30th of February (Date.parse makes it 2 March)",
      { Record: { messageId: "m", createdAt: "2022-02-30T00:00:00Z", event: {} } },
      'Record.createdAt: "2022-02-30T00:00:00Z" is not a date that exists',
    ],
    [
      "the 29th of February of a common year",
      { Record: { messageId: "m", createdAt: "2023-02-29T00:00:00Z", event: {} } },
      'Record.createdAt: "2023-02-29T00:00:00Z" is not a date that exists',
    ],
    [
      "hour 24",
      { Record: { messageId: "m", createdAt: "2022-04-16T24:00:00Z", event: {} } },
      'Record.createdAt: "2022-04-16T24:00:00Z" is not a time of day (a leap second cannot be stored)',
    ],
    [
      "a leap second",
      { Record: { messageId: "m", createdAt: "2016-12-31T23:59:60Z", event: {} } },
      'Record.createdAt: "2016-12-31T23:59:60Z" is not a time of day (a leap second cannot be stored)',
    ],
    [
      "an offset of 24 hours",
      { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00+24:00", event: {} } },
      'Record.createdAt: "2022-04-16T12:20:00+24:00" has an offset beyond 23:59',
    ],
    ["no message", { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00Z" } }, "Record.message: missing"],
    [
      "a null event without a message",
      { Record: { messageId: "m", createdAt: "2022-04-16T12:20:00Z", event: null } },
      "Record.event: missing or not a JSON object or array",
    ],
  ])("rejects %s", (_case, input, message) => {
    expect(() => parseRecord(input)).toThrow(new InvalidRecordError(message));
  });

  test("the token is read only when it is a non-empty string", () => {
    expect(taskTokenOf(valid)).toBe("token-1");
    expect(taskTokenOf({ MyTaskToken: "" })).toBeUndefined();
    expect(taskTokenOf({ MyTaskToken: 7 })).toBeUndefined();
    expect(taskTokenOf(null)).toBeUndefined();
  });

  test("the messageId is found even in a record that is otherwise invalid", () => {
    expect(messageIdOf({ Record: { messageId: "m-1" } })).toBe("m-1");
    expect(messageIdOf({})).toBeUndefined();
  });

  test("the answers have the design's shapes", () => {
    expect(successOutput(parseRecord(valid), true)).toEqual({
      statusCode: 200,
      putStatus: { messageId: valid.Record.messageId, createdAt: 1650111600000, duplicate: true },
    });
    expect(failureCause("DynamoDBError", "boom", "m-1")).toEqual({
      statusCode: 500,
      error: "DynamoDBError",
      message: "boom",
      messageId: "m-1",
    });
  });
});
